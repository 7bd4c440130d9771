/**
 * Runs a service-manager command (systemctl, launchctl, journalctl, loginctl, tail) found on the given PATH.
 */
export interface ManagerCommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class ManagerCommandError extends Error {}

export interface RunManagerCommandOptions {
  env: Record<string, string | undefined>;
  /** Hands the terminal to the command (logs -f) instead of capturing its output. */
  inherit?: boolean;
}

/** Runs argv; throws ManagerCommandError only when the program is not installed. */
export async function runManagerCommand(argv: string[], options: RunManagerCommandOptions): Promise<ManagerCommandResult> {
  const [program, ...rest] = argv as [string, ...string[]];
  const executable = program.includes("/") ? program : Bun.which(program, { PATH: options.env.PATH ?? "" });
  if (!executable) throw new ManagerCommandError(`${program} was not found on PATH`);
  const child = Bun.spawn([executable, ...rest], {
    env: options.env,
    stdin: options.inherit ? "inherit" : "ignore",
    stdout: options.inherit ? "inherit" : "pipe",
    stderr: options.inherit ? "inherit" : "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    child.stdout instanceof ReadableStream ? new Response(child.stdout).text() : "",
    child.stderr instanceof ReadableStream ? new Response(child.stderr).text() : "",
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}

/** Runs argv and throws with the command's own message when it fails. */
export async function runManagerCommandOrThrow(argv: string[], options: RunManagerCommandOptions): Promise<ManagerCommandResult> {
  const result = await runManagerCommand(argv, options);
  if (result.exitCode !== 0) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-3).join("; ");
    throw new ManagerCommandError(`\`${argv.join(" ")}\` failed (exit ${result.exitCode})${detail ? `: ${detail}` : ""}`);
  }
  return result;
}
