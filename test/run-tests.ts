/**
 * The suite as `npm test` runs it: the type check, then every test file under test/ with Bun's own parallel
 * runner, and one closing line "N passed, N failed" (what .ci/run reports).
 *
 * Test files run in separate worker processes, slowest first (by the durations in test/timings.json), so a
 * file that waits for CLI start-ups and timeouts does not hold up the others. Files may run side by side
 * because every test uses port 0 and its own temporary directories. New files are found by Bun's own glob;
 * a file missing from the timings file just starts in no particular order.
 *
 * Usage: bun test/run-tests.ts [--jobs N] [--no-typecheck] [--update-timings] [bun test options] [paths...]
 *   --jobs N          worker processes (default: the CPU count, at least 2; or TEST_JOBS)
 *   --no-typecheck    skip `tsc --noEmit -p .`
 *   --update-timings  write this run's per-file durations to test/timings.json
 * Anything else (paths, -t pattern, --timeout) goes to `bun test` as is.
 */
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";

const projectRoot = resolve(import.meta.dir, "..");
const timingsFile = join("test", "timings.json");
/**
 * Not a performance claim: only a test that hangs should reach it. Measured: with two copies of the suite on a
 * 2-core machine already loaded by other work (load average near 40), a test making three requests through
 * freshly started real CLIs took just over 120 s.
 */
const defaultTestTimeoutMs = 300_000;

interface RunnerOptions {
  jobs: number;
  typecheck: boolean;
  updateTimings: boolean;
  /** Arguments for `bun test` (paths and options) given on the command line. */
  bunArguments: string[];
}

/** The totals of a `bun test` run, from its closing summary lines. */
export interface BunTestSummary {
  passed: number;
  /** Failed tests plus errors outside any test (a crashed worker, an unhandled error between tests). */
  failed: number;
}

export function parseRunnerArguments(argv: string[], environment: Record<string, string | undefined>): RunnerOptions {
  const options: RunnerOptions = {
    jobs: defaultJobs(environment.TEST_JOBS),
    typecheck: true,
    updateTimings: false,
    bunArguments: [],
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--jobs" || argument.startsWith("--jobs=")) {
      const value = argument === "--jobs" ? argv[++index] : argument.slice("--jobs=".length);
      options.jobs = parseJobs(value, "--jobs");
    } else if (argument === "--no-typecheck") {
      options.typecheck = false;
    } else if (argument === "--update-timings") {
      options.updateTimings = true;
    } else {
      options.bunArguments.push(argument);
    }
  }
  return options;
}

function defaultJobs(fromEnvironment: string | undefined): number {
  if (fromEnvironment) return parseJobs(fromEnvironment, "TEST_JOBS");
  return Math.max(2, availableParallelism());
}

function parseJobs(value: string | undefined, name: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`${name} must be a whole number of worker processes, 1 or more (got ${JSON.stringify(value)})`);
  return jobs;
}

/**
 * Reads bun's closing summary (" 12 pass", " 1 fail", " 1 error"), or undefined when there is none (bun
 * itself failed). The last occurrence wins, in case a test printed a look-alike line earlier.
 */
export function parseBunTestSummary(output: string): BunTestSummary | undefined {
  // Colour codes, in case FORCE_COLOR is set.
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const last = (word: string) => plain.match(new RegExp(`^ *(\\d+) ${word}$`, "gm"))?.at(-1)?.trim().split(" ")[0];
  const passed = last("pass");
  const failed = last("fail");
  if (passed === undefined || failed === undefined) return undefined;
  return { passed: Number(passed), failed: Number(failed) + Number(last("errors?") ?? 0) };
}

/** Runs a command with the runner's own stdout and stderr; resolves with its exit code. */
async function run(command: string[]): Promise<number> {
  const child = Bun.spawn(command, { cwd: projectRoot, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  return child.exited;
}

/** Runs `bun test`, passing its output through as it comes and keeping a copy to read the summary from. */
async function runBunTest(options: RunnerOptions): Promise<{ exitCode: number; output: string }> {
  const command = [
    process.execPath,
    "test",
    `--parallel=${options.jobs}`,
    `--timeout=${defaultTestTimeoutMs}`,
    `--timings=${timingsFile}`,
    ...(options.updateTimings ? ["--update-timings"] : []),
    // A test that leaks a process must not leave it running on the machine after the suite.
    "--no-orphans",
    ...options.bunArguments,
  ];
  console.error(`==> ${command.slice(1).join(" ")}`);
  const child = Bun.spawn(command, { cwd: projectRoot, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  // One copy per stream, so a line is never cut by a chunk of the other stream.
  const forward = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of stream) {
      sink.write(chunk);
      text += decoder.decode(chunk, { stream: true });
    }
    return text;
  };
  const [stdout, stderr] = await Promise.all([forward(child.stdout, process.stdout), forward(child.stderr, process.stderr)]);
  return { exitCode: await child.exited, output: `${stdout}\n${stderr}` };
}

async function main(): Promise<number> {
  let options: RunnerOptions;
  try {
    options = parseRunnerArguments(process.argv.slice(2), process.env);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const startedAt = performance.now();
  if (options.typecheck) {
    console.error("==> tsc --noEmit -p .");
    const code = await run([join(projectRoot, "node_modules", ".bin", "tsc"), "--noEmit", "-p", "."]);
    if (code !== 0) {
      console.error(`the type check failed (exit code ${code}); no tests were run`);
      return code;
    }
  }
  const { exitCode, output } = await runBunTest(options);
  const summary = parseBunTestSummary(output);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  if (!summary) {
    console.error(`bun test printed no summary (exit code ${exitCode})`);
    return exitCode || 1;
  }
  if (exitCode !== 0 && summary.failed === 0) console.error(`bun test exited with code ${exitCode} although no test failed`);
  console.error(`==> ${options.jobs} worker processes, ${seconds} s in all`);
  console.log(`${summary.passed} passed, ${summary.failed} failed`);
  return exitCode !== 0 ? exitCode : summary.failed > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(await main());
