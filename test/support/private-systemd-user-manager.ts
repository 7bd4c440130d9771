/**
 * A private systemd user manager for tests: `systemd --user` with its own HOME and XDG_RUNTIME_DIR, so the
 * service test drives the real thing without touching the user's own manager or units.
 *
 * On a machine booted without systemd (containers, CI sandboxes) systemd refuses to start unless
 * /run/systemd/system exists; as root it then runs in a private mount namespace with a tmpfs over /run/systemd
 * holding that directory, and every command against it runs in that namespace (nsenter).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export interface PrivateUserManager {
  home: string;
  runtimeDirectory: string;
  /** Prefix for commands that talk to the manager (nsenter into its namespace, or nothing). */
  commandPrefix: string[];
  pid: number;
  stop(): Promise<void>;
}

const systemdBinary = ["/usr/lib/systemd/systemd", "/lib/systemd/systemd"].find(existsSync);

/** Why no private user manager can run on this machine, or undefined when one can be tried. */
export function privateUserManagerUnavailable(): string | undefined {
  if (process.platform !== "linux") return "systemd user managers exist only on Linux";
  if (!systemdBinary) return "systemd is not installed (Debian package systemd)";
  if (!Bun.which("systemctl")) return "systemctl is not installed (Debian package systemd)";
  const booted = existsSync("/run/systemd/system");
  if (!booted && !(process.getuid?.() === 0 && Bun.which("unshare") && Bun.which("nsenter"))) {
    return "this machine was not booted with systemd, and starting a user manager anyway needs root with unshare and nsenter";
  }
  return undefined;
}

/** Starts one, or resolves with the reason it cannot run here. */
export async function startPrivateUserManager(directory: string): Promise<PrivateUserManager | { unavailable: string }> {
  const unavailable = privateUserManagerUnavailable();
  if (unavailable || !systemdBinary) return { unavailable: unavailable ?? "systemd is not installed" };
  const booted = existsSync("/run/systemd/system");
  const home = join(directory, "manager-home");
  const runtimeDirectory = join(directory, "runtime");
  mkdirSync(home, { recursive: true });
  mkdirSync(runtimeDirectory, { recursive: true, mode: 0o700 });
  const env = { HOME: home, XDG_RUNTIME_DIR: runtimeDirectory, PATH: process.env.PATH ?? "/usr/bin:/bin", SYSTEMD_LOG_TARGET: "console", SYSTEMD_LOG_LEVEL: "warning" };
  const argv = booted
    ? [systemdBinary, "--user"]
    : ["unshare", "--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/system && exec ${systemdBinary} --user`];
  const child = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const commandPrefix = booted ? [] : ["nsenter", "--target", String(child.pid), "--mount", "--"];
  const stop = async () => {
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited, Bun.sleep(15_000).then(() => undefined)]);
    if (exited === undefined) child.kill("SIGKILL");
  };

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const probe = Bun.spawnSync([...commandPrefix, "systemctl", "--user", "is-system-running"], { env, stdout: "pipe", stderr: "pipe" });
    const state = probe.stdout.toString().trim();
    if (state === "running" || state === "degraded") return { home, runtimeDirectory, commandPrefix, pid: child.pid, stop };
    await Bun.sleep(200);
  }
  const output = child.exitCode === null ? "" : (await new Response(child.stderr).text()).trim();
  await stop();
  return { unavailable: `the private systemd user manager did not come up${output ? `: ${output.split("\n").slice(-3).join("; ")}` : " within 20 s"}` };
}
