/**
 * --at-commit for the benchmarks: runs a benchmark script against the tree at a revision, copied to a temporary
 * directory (git archive, so the checkout and its repository are left alone), with this bench/ and node_modules,
 * so that work in progress in src/ cannot leak into the results.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";

export interface AtCommitOptions {
  projectRoot: string;
  /** The revision to measure. */
  revision: string;
  /** The script under bench/, e.g. "run.ts". */
  script: string;
  /** The command line it was started with. */
  argv: string[];
  /** Options whose value is a path, resolved against the caller's directory. */
  pathOptions: string[];
  /** Where the results go unless --results or --no-results is given. */
  defaultResults: string;
}

/** Runs the benchmark at the revision; resolves with its exit code. */
export async function runBenchmarkAtCommit(options: AtCommitOptions): Promise<number> {
  const git = (args: string[]) => {
    const result = Bun.spawnSync(["git", ...args], { cwd: options.projectRoot, stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString().trim()}`);
    return result.stdout.toString().trim();
  };
  const revision = git(["rev-parse", "--short", `${options.revision}^{commit}`]);
  const copy = mkdtempSync(join(os.tmpdir(), `agent-relay-bench-${revision}-`));
  try {
    await Bun.$`git -C ${options.projectRoot} archive ${revision} | tar -x -C ${copy}`.quiet();
    rmSync(join(copy, "bench"), { recursive: true, force: true });
    await Bun.$`cp -R ${join(options.projectRoot, "bench")} ${join(copy, "bench")}`.quiet();
    symlinkSync(join(options.projectRoot, "node_modules"), join(copy, "node_modules"));
    const rest: string[] = [];
    for (let i = 0; i < options.argv.length; i++) {
      const arg = options.argv[i];
      if (arg === "--at-commit") i++;
      else if (options.pathOptions.includes(arg)) {
        rest.push(arg, resolve(options.argv[i + 1]));
        i++;
      } else rest.push(arg);
    }
    if (!rest.includes("--results") && !rest.includes("--no-results")) rest.push("--results", options.defaultResults);
    const displayed = `node_modules/.bin/bun bench/${options.script} ${options.argv.join(" ")}`.trim();
    process.stderr.write(`bench: measuring ${revision} in ${copy}\n`);
    const child = Bun.spawn([process.execPath, join(copy, "bench", options.script), ...rest, "--commit-label", `${revision}|${displayed}`], {
      cwd: copy,
      stdio: ["inherit", "inherit", "inherit"],
    });
    return await child.exited;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
