/**
 * agent-relay benchmark: the latency and throughput the relay adds over spawning the CLI directly, with the
 * fast fake CLI (test/support/fake-claude.sh), at several concurrency levels, plus the relay's peak RSS.
 *
 *   node_modules/.bin/bun bench/run.ts [--requests N] [--warmup N] [--rounds N] [--concurrency 1,8,32]
 *                                      [--json out.json] [--results bench/RESULTS.md | --no-results]
 *
 * Three modes run at each concurrency level C, each as a closed loop of C workers:
 *   bare          spawn the CLI directly (same argv, env, cwd, spawn options and stdin lines as the relay),
 *                 read stdout until the `result` line, close stdin, wait for the exit;
 *   relay         POST /v1/chat/completions (stream: false) to the relay, read the JSON body;
 *   relay-stream  the same with stream: true, read the SSE stream to its end.
 * The modes are interleaved in rounds (the order rotates every round) so that drift on a shared machine
 * shows up as spread between rounds rather than as a difference between modes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative, resolve } from "node:path";
import { bareInvocationFor, bareRequest, type BareSample } from "./lib/bare-spawn.ts";
import { relayRequest, type RelaySample } from "./lib/relay-client.ts";
import { freePort, startRelayProcess, type RelayProcess } from "./lib/relay-process.ts";
import { closedLoop } from "./lib/closed-loop.ts";
import { cpuBetween, cpuSnapshot, type CpuUse } from "./lib/cpu.ts";
import { processMemory, TreeRssSampler } from "./lib/rss.ts";
import { fixed, percentile, signed, summarize, type Summary } from "./lib/stats.ts";
import { runBenchmarkAtCommit } from "./lib/at-commit.ts";

const projectRoot = resolve(import.meta.dir, "..");
const fakeClaudeBin = join(projectRoot, "test", "support", "fake-claude.sh");
const cliPath = join(projectRoot, "src", "cli.ts");
const expectedText = "Hello from the fake CLI";
const targets = { addedMedianMs: 2, throughputRatioAt8: 0.8 };

// ---------------------------------------------------------------------------------------------- options

interface Options {
  requests: number;
  warmup: number;
  globalWarmup: number;
  rounds: number;
  concurrency: number[];
  json?: string;
  results?: string;
  logLevel: string;
  rssIntervalMs: number;
  maxOtherLoad: number;
  maxRetries: number;
  /** --max-concurrent for the relay; default twice the highest concurrency measured. */
  relayMaxConcurrent?: number;
  /** Directory for a CPU profile of the relay process (bun --cpu-prof --cpu-prof-md). */
  relayCpuProf?: string;
  /** Benchmark the relay as committed at this revision rather than the working tree. */
  atCommit?: string;
  /** Set by --at-commit for the copy it runs: the revision being measured. */
  commitLabel?: string;
}

function usage(message?: string): never {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(
    "usage: bun bench/run.ts [--requests N] [--warmup N] [--global-warmup N] [--rounds N] [--concurrency 1,8,32] [--json out.json]\n" +
      "                        [--results bench/RESULTS.md | --no-results] [--relay-log-level info] [--rss-interval 20]\n" +
      "                        [--max-other-load 0.3] [--max-retries 8] [--relay-max-concurrent N] [--relay-cpu-prof DIR]\n" +
      "  --requests N   requests per mode at concurrency 1 (default 300); a level C >= 4 gets N*C/4\n" +
      "  --warmup N     warm-up requests per mode before each level (default 30; at least 2*C)\n" +
      "  --global-warmup N  requests per mode at c=8 before anything is measured, so the JIT of the relay and of\n" +
      "                 this process reaches its steady state (default 1500; the relay's CPU per request halves over them)\n" +
      "  --rounds N     interleaved rounds per level; the requests are split between them (default 5)\n" +
      "  --at-commit REV  measure the relay (src/) as committed at REV, in a temporary copy, with this bench/;\n" +
      "                 results still go to this checkout's bench/RESULTS.md\n" +
      "  --max-other-load CORES  a round during which other work used more CPU than this is run again (default 0.3)\n" +
      "  --max-retries N         how often a disturbed round is run again before it is kept and flagged (default 8)\n",
  );
  process.exit(message ? 2 : 0);
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    requests: 300,
    warmup: 30,
    globalWarmup: 1500,
    rounds: 5,
    concurrency: [1, 8, 32],
    results: join(projectRoot, "bench", "RESULTS.md"),
    logLevel: "info",
    rssIntervalMs: 20,
    maxOtherLoad: 0.3,
    maxRetries: 8,
  };
  const positive = (flag: string, raw: string | undefined, min = 1) => {
    const value = Number(raw);
    if (!raw || !Number.isInteger(value) || value < min) usage(`${flag} needs a whole number >= ${min}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case "--requests": options.requests = positive(flag, value); i++; break;
      case "--warmup": options.warmup = positive(flag, value, 0); i++; break;
      case "--global-warmup": options.globalWarmup = positive(flag, value, 0); i++; break;
      case "--rounds": options.rounds = positive(flag, value); i++; break;
      case "--concurrency":
        if (!value) usage("--concurrency needs a list such as 1,8,32");
        options.concurrency = value.split(",").map((part) => positive(flag, part.trim()));
        i++;
        break;
      case "--json": if (!value) usage("--json needs a path"); options.json = resolve(value); i++; break;
      case "--results": if (!value) usage("--results needs a path"); options.results = resolve(value); i++; break;
      case "--at-commit": if (!value) usage("--at-commit needs a revision"); options.atCommit = value; i++; break;
      case "--commit-label": if (!value) usage("--commit-label needs a value"); options.commitLabel = value; i++; break;
      case "--no-results": options.results = undefined; break;
      case "--relay-log-level": if (!value) usage("--relay-log-level needs a level"); options.logLevel = value; i++; break;
      case "--rss-interval": options.rssIntervalMs = positive(flag, value, 10); i++; break;
      case "--max-other-load":
        options.maxOtherLoad = Number(value);
        if (!value || !(options.maxOtherLoad > 0)) usage("--max-other-load needs a number of cores > 0");
        i++;
        break;
      case "--max-retries": options.maxRetries = positive(flag, value, 0); i++; break;
      case "--relay-max-concurrent": options.relayMaxConcurrent = positive(flag, value); i++; break;
      case "--relay-cpu-prof": if (!value) usage("--relay-cpu-prof needs a directory"); options.relayCpuProf = resolve(value); i++; break;
      case "-h": case "--help": usage(); break;
      default: usage(`unknown option ${flag}`);
    }
  }
  return options;
}

const requestsAt = (options: Options, c: number) => Math.max(options.requests, Math.round((options.requests * c) / 4));
const warmupAt = (options: Options, c: number) => (options.warmup === 0 ? 0 : Math.max(options.warmup, 2 * c));

// ---------------------------------------------------------------------------------------------- running

type Mode = "bare" | "relay" | "relay-stream";
const modes: Mode[] = ["bare", "relay", "relay-stream"];

interface Sample {
  ok: boolean;
  error?: string;
  status?: number;
  totalMs: number;
  firstTokenMs: number;
  /** Bare only: start to the `result` line (before stdin is closed and the exit awaited). */
  resultMs?: number;
  ttfbMs?: number;
  /** Bare only: how long the synchronous Bun.spawn() call blocked. */
  spawnMs?: number;
}

interface Phase {
  round: number;
  requests: number;
  wallMs: number;
  rps: number;
  medianTotalMs: number;
  cpu: CpuUse;
}

interface ModeRun {
  samples: Sample[];
  phases: Phase[];
  failures: number;
  errors: string[];
}

function toSample(sample: BareSample | RelaySample): Sample {
  const ok = sample.ok && sample.text === expectedText;
  const error = sample.ok && !ok ? `unexpected text ${JSON.stringify(sample.text)}` : sample.error;
  return {
    ok,
    error,
    status: "status" in sample ? sample.status : undefined,
    totalMs: sample.totalMs,
    firstTokenMs: sample.firstTokenMs,
    resultMs: "resultMs" in sample ? sample.resultMs : undefined,
    ttfbMs: "ttfbMs" in sample ? sample.ttfbMs : undefined,
    spawnMs: "spawnMs" in sample ? sample.spawnMs : undefined,
  };
}

/** Waits until the relay has no request and no CLI process left, so one phase does not spill into the next. */
async function waitForRelayIdle(url: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const health: any = await fetch(`${url}/health`).then((response) => response.json());
    if (health.requests?.active === 0 && health.requests?.queued === 0 && health.cli_processes === 0) return;
    await Bun.sleep(5);
  }
  throw new Error("the relay still had requests or CLI processes 10 s after a phase");
}

// ---------------------------------------------------------------------------------------------- report

interface LevelResult {
  concurrency: number;
  runs: Record<Mode, ModeRun>;
  /** Rounds thrown away and run again because other work on the machine used more than --max-other-load. */
  discardedRounds: number;
  /** Rounds kept although disturbed, because --max-retries ran out. */
  disturbedRounds: number;
}

interface Machine {
  date: string;
  cpus: string;
  cores: number;
  kernel: string;
  platform: string;
  memoryGb: number;
  bun: string;
  loadBefore: string;
  loadAfter?: string;
  commit: string;
}

const values = (run: ModeRun, pick: (sample: Sample) => number | undefined) =>
  run.samples.filter((sample) => sample.ok).map(pick).filter((value): value is number => value !== undefined && Number.isFinite(value));

const rpsOf = (run: ModeRun) => {
  const requests = run.phases.reduce((sum, phase) => sum + phase.requests, 0);
  const wallMs = run.phases.reduce((sum, phase) => sum + phase.wallMs, 0);
  return (requests / wallMs) * 1000;
};

function levelNumbers(level: LevelResult) {
  const { bare, relay } = level.runs;
  const stream = level.runs["relay-stream"];
  const bareTotal = summarize(values(bare, (s) => s.totalMs));
  const bareResult = summarize(values(bare, (s) => s.resultMs));
  const bareFirst = summarize(values(bare, (s) => s.firstTokenMs));
  const relayTotal = summarize(values(relay, (s) => s.totalMs));
  const streamTotal = summarize(values(stream, (s) => s.totalMs));
  const streamFirst = summarize(values(stream, (s) => s.firstTokenMs));
  const added = (a: Summary, b: Summary) => ({ median: a.median - b.median, p90: a.p90 - b.p90, p99: a.p99 - b.p99 });
  const perRoundAdded = (run: ModeRun) =>
    run.phases.map((phase, index) => phase.medianTotalMs - (bare.phases[index]?.medianTotalMs ?? Number.NaN));
  return {
    bareTotal,
    bareResult,
    bareFirst,
    relayTotal,
    streamTotal,
    streamFirst,
    addedRelay: added(relayTotal, bareTotal),
    addedRelayVsResult: added(relayTotal, bareResult),
    addedStream: added(streamTotal, bareTotal),
    addedFirstToken: added(streamFirst, bareFirst),
    perRoundAddedRelay: perRoundAdded(relay),
    perRoundAddedStream: perRoundAdded(stream),
    rps: { bare: rpsOf(bare), relay: rpsOf(relay), stream: rpsOf(stream) },
    perRoundRps: { bare: bare.phases.map((p) => p.rps), relay: relay.phases.map((p) => p.rps), stream: stream.phases.map((p) => p.rps) },
    failures: { bare: bare.failures, relay: relay.failures, stream: stream.failures },
    cpu: { bare: cpuPerRequest(bare), relay: cpuPerRequest(relay), stream: cpuPerRequest(stream) },
    spawn: summarize(values(bare, (s) => s.spawnMs)),
    /** Fraction of the bare phases' wall time spent inside Bun.spawn() (summed over workers). */
    spawnShare: values(bare, (s) => s.spawnMs).reduce((sum, value) => sum + value, 0) / bare.phases.reduce((sum, phase) => sum + phase.wallMs, 0),
    relayTtfb: summarize(values(relay, (s) => s.ttfbMs)),
    streamTtfb: summarize(values(stream, (s) => s.ttfbMs)),
  };
}

/** CPU per request by owner, in ms, and the average load of everything else, in cores. */
function cpuPerRequest(run: ModeRun) {
  const requests = run.phases.reduce((sum, phase) => sum + phase.requests, 0);
  const wallMs = run.phases.reduce((sum, phase) => sum + phase.wallMs, 0);
  const total = (pick: (cpu: CpuUse) => number) => run.phases.reduce((sum, phase) => sum + pick(phase.cpu), 0);
  const client = total((cpu) => cpu.benchMs) / requests;
  const relay = total((cpu) => cpu.relayMs) / requests;
  const cli = total((cpu) => cpu.benchChildrenMs + cpu.relayChildrenMs) / requests;
  return {
    client,
    relay,
    cli,
    total: client + relay + cli,
    otherCores: total((cpu) => cpu.otherMs) / wallMs,
    otherCoresPerRound: run.phases.map((phase) => phase.cpu.otherMs / phase.wallMs),
    stealCores: total((cpu) => cpu.stealMs) / wallMs,
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const list = (items: number[], digits: number, format = fixed) => items.map((value) => format(value, digits)).join(" / ");

function renderMarkdown(input: {
  command: string;
  machine: Machine;
  options: Options;
  relayArgs: string[];
  levels: LevelResult[];
  memory: {
    idleRss: number;
    peakHwm: number;
    endRss: number;
    peakRssSampled: number;
    peakTree: number;
    peakTreePss: number;
    peakTreeProcesses: number;
    peakCliProcesses: number;
    samples: number;
    intervalMs: number;
    concurrency: number;
    requests: number;
    maxConcurrent: number;
    relayRequests: number;
  };
  relayLogCounts: Record<string, number>;
  relayProblems: string[];
}): string {
  const { machine, levels, memory, options } = input;
  const numbers = levels.map((level) => ({ c: level.concurrency, ...levelNumbers(level) }));
  const lines: string[] = [];
  lines.push("## Benchmark: relay overhead over spawning the CLI directly");
  lines.push("");
  lines.push(`Measured ${machine.date} on ${machine.cores} × ${machine.cpus}, ${machine.memoryGb} GB RAM, Linux ${machine.kernel}, Bun ${machine.bun}, commit ${machine.commit}.`);
  lines.push(`Load average before the run: ${machine.loadBefore}. The machine may be shared: the per-round columns and the "other" CPU column show the noise.`);
  lines.push("");
  lines.push("```sh");
  lines.push(input.command);
  lines.push("```");
  lines.push("");
  lines.push(
    `Fake CLI: \`test/support/fake-claude.sh\` (dash; about 4 ms per run on its own). ` +
      `Requests per mode: ${levels.map((l) => `${requestsAt(options, l.concurrency)} at c=${l.concurrency}`).join(", ")}, ` +
      `in ${options.rounds} interleaved rounds (mode order rotating), after ${options.globalWarmup} warm-up requests per mode at c=8 (the relay's JIT needs them: its CPU per request halves over the first ~2000 requests) and ${levels.map((l) => warmupAt(options, l.concurrency)).join("/")} more per mode before each level. ` +
      `A round during which other work on the machine used more than ${options.maxOtherLoad} cores was thrown away and run again ` +
      `(${levels.map((l) => `${l.discardedRounds} at c=${l.concurrency}`).join(", ")}` +
      `${levels.some((l) => l.disturbedRounds) ? `; kept although disturbed after ${options.maxRetries} retries: ${levels.map((l) => `${l.disturbedRounds} at c=${l.concurrency}`).join(", ")}` : ""}). ` +
      `The relay runs as its own process: \`bun src/cli.ts ${input.relayArgs.join(" ")}\` ` +
      "(default log level, so one JSON log line per request; concurrency and queue limits above the highest level so nothing queues or is rejected).",
  );
  lines.push("");

  lines.push("### Added latency (relay − bare spawn), ms");
  lines.push("");
  lines.push("Bare = spawn, write the two stdin lines, read to the `result` line, close stdin, wait for exit. Relay = `POST /v1/chat/completions` to the last body byte. Added = difference of the two distributions' percentiles.");
  lines.push("");
  lines.push("| c | bare p50 / p90 / p99 | relay p50 / p90 / p99 | **added p50** | added p90 | added p99 | added p50 per round | stream added p50 / p90 | first token added p50 |");
  lines.push("|---:|---|---|---:|---:|---:|---|---:|---:|");
  for (const n of numbers) {
    lines.push(
      `| ${n.c} | ${list([n.bareTotal.median, n.bareTotal.p90, n.bareTotal.p99], 2)} | ${list([n.relayTotal.median, n.relayTotal.p90, n.relayTotal.p99], 2)} | ` +
        `**${signed(n.addedRelay.median)}** | ${signed(n.addedRelay.p90)} | ${signed(n.addedRelay.p99)} | ${list(n.perRoundAddedRelay, 2, signed)} | ` +
        `${signed(n.addedStream.median)} / ${signed(n.addedStream.p90)} | ${signed(n.addedFirstToken.median)} |`,
    );
  }
  lines.push("");
  lines.push(
    "\"Stream\" is the same request with `stream: true`, read to the end of the SSE stream. \"First token\" compares the first content delta the client sees through the relay with the first `text_delta` line a direct spawner reads.",
  );
  lines.push("");
  lines.push(
    "At c ≥ 8 the 2 cores are saturated, and in a closed loop the latency is then about c ÷ throughput (Little's law): " +
      "the added latency at c=8 and c=32 is the throughput gap below seen from the client, not a longer path per request.",
  );
  lines.push("");
  lines.push("The relay answers as soon as the CLI prints `result` and closes stdin and reaps the process after the response, off the response path. Compared with a bare spawner that stops its clock at the `result` line instead of at the exit (meaningful at c=1 only: at saturation the bare workers' exit wait moves out of this number but still costs them throughput):");
  lines.push("");
  lines.push("| c | bare to `result` p50 / p90 | relay p50 / p90 | added p50 / p90 |");
  lines.push("|---:|---|---|---|");
  for (const n of numbers) {
    lines.push(`| ${n.c} | ${list([n.bareResult.median, n.bareResult.p90], 2)} | ${list([n.relayTotal.median, n.relayTotal.p90], 2)} | ${signed(n.addedRelayVsResult.median)} / ${signed(n.addedRelayVsResult.p90)} |`);
  }
  lines.push("");

  lines.push("### Throughput, requests/s (closed loop of c workers)");
  lines.push("");
  lines.push("| c | bare | relay | **relay / bare** | relay stream | stream / bare | bare per round | relay per round | stream per round |");
  lines.push("|---:|---:|---:|---:|---:|---:|---|---|---|");
  for (const n of numbers) {
    lines.push(
      `| ${n.c} | ${fixed(n.rps.bare, 0)} | ${fixed(n.rps.relay, 0)} | **${fixed((n.rps.relay / n.rps.bare) * 100, 0)}%** | ${fixed(n.rps.stream, 0)} | ${fixed((n.rps.stream / n.rps.bare) * 100, 0)}% | ` +
        `${list(n.perRoundRps.bare, 0)} | ${list(n.perRoundRps.relay, 0)} | ${list(n.perRoundRps.stream, 0)} |`,
    );
  }
  lines.push("");

  lines.push("### Where the CPU goes, ms of CPU per request");
  lines.push("");
  lines.push(
    `The machine has ${machine.cores} cores, so at c ≥ 2 throughput is bounded by the total CPU per request. ` +
      "\"Client\" is the benchmark process: in bare mode it is the spawner itself (spawn, pipes, line parsing), in relay modes the HTTP client. " +
      "\"Other\" is the busy CPU not charged to any of these processes, in cores: other users' work plus kernel threads (process teardown, writeback), " +
      "which stayed below about 0.15 cores in undisturbed runs here; higher values mean other work shared the cores.",
  );
  lines.push("");
  lines.push("| c | mode | client | relay process | CLI processes | total | other, cores (per round) |");
  lines.push("|---:|---|---:|---:|---:|---:|---|");
  for (const n of numbers) {
    for (const [mode, cpu] of [["bare", n.cpu.bare], ["relay", n.cpu.relay], ["relay stream", n.cpu.stream]] as const) {
      lines.push(
        `| ${n.c} | ${mode} | ${fixed(cpu.client)} | ${mode === "bare" ? "–" : fixed(cpu.relay)} | ${fixed(cpu.cli)} | ${fixed(cpu.total)} | ${fixed(cpu.otherCores)} (${list(cpu.otherCoresPerRound, 2)}) |`,
      );
    }
  }
  lines.push("");
  lines.push("CPU times come from /proc in 10 ms clock ticks, summed over each phase (hundreds of requests), so the per-request figures are good to about ±0.1 ms.");
  lines.push("");
  lines.push(
    "The synchronous `Bun.spawn()` call blocks the event loop until the child has exec'd (vfork semantics), longer when the cores are busy; " +
      "measured in the bare spawner (the relay makes the same call): " +
      numbers.map((n) => `c=${n.c} p50 ${fixed(n.spawn.median)} / p90 ${fixed(n.spawn.p90)} ms, ${fixed(n.spawnShare * 100, 0)}% of the phase`).join("; ") +
      ".",
  );
  lines.push("");

  lines.push("### Failures");
  lines.push("");
  const failureTotal = numbers.reduce((sum, n) => sum + n.failures.bare + n.failures.relay + n.failures.stream, 0);
  lines.push(`| c | bare | relay | relay stream |`);
  lines.push(`|---:|---:|---:|---:|`);
  for (const n of numbers) lines.push(`| ${n.c} | ${n.failures.bare} | ${n.failures.relay} | ${n.failures.stream} |`);
  lines.push("");
  lines.push(`Any non-200, transport error, missing \`[DONE]\` or wrong answer text counts. Relay log lines by level: ${Object.entries(input.relayLogCounts).map(([level, count]) => `${level} ${count}`).join(", ") || "none"}.`);
  for (const level of levels) {
    for (const mode of modes) {
      const errors = level.runs[mode].errors;
      if (errors.length) lines.push(`- c=${level.concurrency} ${mode}: ${errors.slice(0, 3).map((e) => `\`${e.slice(0, 200)}\``).join("; ")}`);
    }
  }
  if (input.relayProblems.length) lines.push(`- relay warnings: ${input.relayProblems.slice(0, 3).map((line) => `\`${line.slice(0, 200)}\``).join("; ")}`);
  lines.push("");

  lines.push("### Memory");
  lines.push("");
  lines.push("| relay RSS after start | **relay peak RSS (VmHWM)** | relay RSS at the end | peak relay + CLI processes, RSS sum | same, PSS sum | peak live CLI processes |");
  lines.push("|---:|---:|---:|---:|---:|---:|");
  lines.push(
    `| ${mb(memory.idleRss)} | **${mb(memory.peakHwm)}** | ${mb(memory.endRss)} | ${mb(memory.peakTree)} (${memory.peakTreeProcesses} processes) | ${mb(memory.peakTreePss)} | ${memory.peakCliProcesses} |`,
  );
  lines.push("");
  lines.push(
    `VmHWM is the kernel's exact peak for the relay process over the whole run (${memory.relayRequests} requests to the relay, warm-ups included). ` +
      "The process-tree figures cover the relay and all its descendants (the fake CLI is `sh` with a `sed` and a `cat`); " +
      `they are sampled every ${memory.intervalMs} ms (${memory.samples} samples) in an untimed extra phase of ${memory.requests} non-streaming and ${memory.requests} streaming requests at c=${memory.concurrency}, ` +
      "because reading /proc for every process costs CPU that would otherwise be charged to the timed phases; sampling can miss short peaks. " +
      "The RSS sum counts shared pages (libc, the shell) once per process; the PSS sum splits them. " +
      `"Live CLI processes" counts the relay's direct children: the relay answers at the \`result\` line and reaps the process afterwards, so up to about twice the client concurrency can be alive at once (the slot is freed at the exit, so \`--max-concurrent\`, here ${memory.maxConcurrent}, bounds it). ` +
      "The real CLI is far larger than the fake: the `--max-concurrent` help text puts it at about 250 MB per process.",
  );
  lines.push("");

  const c1 = numbers.find((n) => n.c === 1);
  const c8 = numbers.find((n) => n.c === 8);
  lines.push("### Targets");
  lines.push("");
  const verdict = (pass: boolean | undefined) => (pass === undefined ? "not measured" : pass ? "**met**" : "**missed**");
  const medianPass = c1 ? c1.addedRelay.median <= targets.addedMedianMs : undefined;
  const streamPass = c1 ? c1.addedStream.median <= targets.addedMedianMs : undefined;
  const ratioPass = c8 ? c8.rps.relay / c8.rps.bare >= targets.throughputRatioAt8 : undefined;
  const streamRatioPass = c8 ? c8.rps.stream / c8.rps.bare >= targets.throughputRatioAt8 : undefined;
  const strictPass = c1 ? c1.addedRelayVsResult.median <= targets.addedMedianMs : undefined;
  lines.push(
    `- Median added latency at c=1 ≤ ${targets.addedMedianMs} ms: ${verdict(medianPass)} (${c1 ? signed(c1.addedRelay.median) : "n/a"} ms non-streaming, ` +
      `${c1 ? signed(c1.addedStream.median) : "n/a"} ms streaming: ${verdict(streamPass)}; against a bare spawner that stops its clock at the \`result\` line, ` +
      `${c1 ? signed(c1.addedRelayVsResult.median) : "n/a"} ms: ${verdict(strictPass)}).`,
  );
  lines.push(`- Throughput at c=8 ≥ ${targets.throughputRatioAt8 * 100}% of bare spawn: ${verdict(ratioPass)} (${c8 ? fixed((c8.rps.relay / c8.rps.bare) * 100, 0) : "n/a"}% non-streaming, ${c8 ? fixed((c8.rps.stream / c8.rps.bare) * 100, 0) : "n/a"}% streaming: ${verdict(streamRatioPass)}).`);
  lines.push(`- No request rejected: ${verdict(failureTotal === 0)} (${failureTotal} failures in all modes).`);
  lines.push("");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------- main

async function machineInfo(options: Options): Promise<Machine> {
  const cpus = os.cpus();
  const labelled = options.commitLabel?.split("|")[0];
  const git = (args: string[]) => Bun.spawnSync(["git", ...args], { cwd: projectRoot }).stdout.toString().trim();
  const dirty = git(["status", "--porcelain", "src"]) !== "";
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: cpus[0]?.model.trim() ?? "unknown CPU",
    cores: cpus.length,
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    bun: `${Bun.version} (${Bun.revision.slice(0, 9)})`,
    loadBefore: os.loadavg().map((value) => value.toFixed(2)).join(" "),
    commit: labelled
      ? `${labelled} (as committed, measured in a clean copy with --at-commit)`
      : `${git(["rev-parse", "--short", "HEAD"])}${dirty ? " (src/ with uncommitted changes)" : ""}`,
  };
}

function runAtCommit(options: Options, argv: string[]): Promise<number> {
  return runBenchmarkAtCommit({
    projectRoot,
    revision: options.atCommit!,
    script: "run.ts",
    argv,
    pathOptions: ["--json", "--results", "--relay-cpu-prof"],
    defaultResults: join(projectRoot, "bench", "RESULTS.md"),
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.atCommit) process.exit(await runAtCommit(options, process.argv.slice(2)));
  if (process.platform !== "linux") throw new Error("the benchmark reads /proc for memory and runs on Linux only");
  const command = options.commitLabel?.split("|").slice(1).join("|") || `node_modules/.bin/bun bench/run.ts ${process.argv.slice(2).join(" ")}`.trim();
  const machine = await machineInfo(options);
  const home = mkdtempSync(join(os.tmpdir(), "agent-relay-bench-"));
  const dataDir = join(home, "relay-data");
  const workdir = join(dataDir, "workspace");
  // The relay and the bare spawner give the CLI the same base environment.
  // The fake CLI cannot clear a conversation, and this benchmark measures spawn per request: no recycling
  // (an environment variable, so that commits from before recycling, which know no such flag, still start).
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", AGENT_RELAY_RECYCLE: "false" };
  const maxConcurrent = options.relayMaxConcurrent ?? Math.max(...options.concurrency) * 2;
  const relayArgs = [
    "--host", "127.0.0.1",
    // The "listening" log line carries the URL at info and debug; otherwise a free port is chosen and polled.
    "--port", options.logLevel === "info" || options.logLevel === "debug" ? "0" : String(freePort()),
    "--claude-bin", fakeClaudeBin,
    "--data-dir", dataDir,
    "--workdir", workdir,
    "--max-concurrent", String(maxConcurrent),
    "--max-processes", String(maxConcurrent * 2),
    "--max-queue", "1024",
    // This benchmark measures the spawn-per-request path against spawning directly: no warm processes, no
    // kept conversations (bench/warm.ts measures those against a cold `claude -p`).
    "--warm-processes", "0",
    "--conversation-idle-timeout", "0",
    "--log-level", options.logLevel,
  ];
  const displayArgs = relayArgs.map((arg) => (arg.startsWith(home) ? arg.replace(home, "$TMP") : arg.startsWith(projectRoot) ? relative(projectRoot, arg) : arg));

  let relay: RelayProcess | undefined;
  const onSignal = () => {
    void relay?.stop().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  try {
    const bunArgs = options.relayCpuProf ? ["--cpu-prof", "--cpu-prof-md", "--cpu-prof-dir", options.relayCpuProf] : [];
    relay = await startRelayProcess({ bun: process.execPath, bunArgs, cliPath, args: relayArgs, env, cwd: projectRoot });
    const relayUrl = relay.url;
    const port = Number(new URL(relayUrl).port);
    process.stderr.write(`bench: relay pid ${relay.pid} at ${relayUrl}\n`);
    await Bun.sleep(200);
    const idleRss = (await processMemory(relay.pid))?.rss ?? Number.NaN;

    const body = { model: "sonnet", messages: [{ role: "user", content: "Say hello." }] };
    await Bun.$`mkdir -p ${workdir}`.quiet();
    const invocation = bareInvocationFor({
      body: body as any,
      binary: fakeClaudeBin,
      cwd: workdir,
      env,
      settings: { cliMaxRetries: 1, agent: false, permissionMode: "default", relayAddress: { host: "127.0.0.1", port } },
    });

    let relayRequestsSent = 0;
    const run: Record<Mode, () => Promise<Sample>> = {
      bare: async () => toSample(await bareRequest(invocation)),
      relay: async () => (relayRequestsSent++, toSample(await relayRequest(relayUrl, body, false))),
      "relay-stream": async () => (relayRequestsSent++, toSample(await relayRequest(relayUrl, body, true))),
    };
    const sampler = new TreeRssSampler(relay.pid, options.rssIntervalMs);


    if (options.globalWarmup > 0) {
      process.stderr.write(`bench: global warm-up: ${options.globalWarmup} requests per mode at c=8\n`);
      for (const mode of modes) {
        const { samples } = await closedLoop(options.globalWarmup, 8, run[mode]);
        const failed = samples.filter((sample) => !sample.ok);
        if (failed.length) process.stderr.write(`bench: global warm-up ${mode}: ${failed.length} failed, e.g. ${failed[0].error}\n`);
        if (mode !== "bare") await waitForRelayIdle(relayUrl);
      }
    }

    const levels: LevelResult[] = [];
    for (const c of options.concurrency) {
      const total = requestsAt(options, c);
      const warmup = warmupAt(options, c);
      process.stderr.write(`bench: c=${c}: warm-up ${warmup} per mode, then ${total} per mode in ${options.rounds} rounds\n`);
      for (const mode of modes) {
        if (warmup === 0) break;
        const { samples } = await closedLoop(warmup, c, run[mode]);
        const failed = samples.filter((sample) => !sample.ok);
        if (failed.length) process.stderr.write(`bench: warm-up ${mode}: ${failed.length} failed, e.g. ${failed[0].error}\n`);
        if (mode !== "bare") await waitForRelayIdle(relayUrl);
      }
      const runs = Object.fromEntries(modes.map((mode) => [mode, { samples: [], phases: [], failures: 0, errors: [] } as ModeRun])) as Record<Mode, ModeRun>;
      let discardedRounds = 0;
      let disturbedRounds = 0;
      for (let round = 0; round < options.rounds; round++) {
        const requests = Math.round(total / options.rounds);
        const order = modes.map((_, index) => modes[(index + round) % modes.length]);
        for (let attempt = 0; ; attempt++) {
          const phases: Array<{ mode: Mode; samples: Sample[]; phase: Phase }> = [];
          for (const mode of order) {
            const before = cpuSnapshot(relay.pid);
            const { samples, wallMs } = await closedLoop(requests, c, run[mode]);
            // The relay reaps its CLI processes after answering; wait for them so their CPU counts in this phase.
            if (mode !== "bare") await waitForRelayIdle(relayUrl);
            const cpu = cpuBetween(before, cpuSnapshot(relay.pid));
            const target = runs[mode];
            // Failures count even in a round that is thrown away for noise.
            for (const sample of samples) {
              if (sample.ok) continue;
              target.failures++;
              if (target.errors.length < 5) target.errors.push(sample.error ?? "unknown");
            }
            const totals = samples.filter((sample) => sample.ok).map((sample) => sample.totalMs);
            phases.push({ mode, samples, phase: { round, requests, wallMs, rps: (requests / wallMs) * 1000, medianTotalMs: percentile(totals, 50), cpu } });
            process.stderr.write(
              `bench: c=${c} round ${round + 1}${attempt ? ` (retry ${attempt})` : ""} ${mode.padEnd(12)} ${fixed((requests / wallMs) * 1000, 0).padStart(5)} req/s  p50 ${fixed(percentile(totals, 50))} ms` +
                `  cpu/req: bench ${fixed(cpu.benchMs / requests)} + relay ${fixed(cpu.relayMs / requests)} + cli ${fixed((cpu.benchChildrenMs + cpu.relayChildrenMs) / requests)} ms` +
                `  other ${fixed(cpu.otherMs / wallMs)} cores` +
                `${samples.length - totals.length ? `  FAILED ${samples.length - totals.length}` : ""}\n`,
            );
          }
          const worst = Math.max(...phases.map(({ phase }) => phase.cpu.otherMs / phase.wallMs));
          if (worst > options.maxOtherLoad && attempt < options.maxRetries) {
            discardedRounds++;
            process.stderr.write(`bench: c=${c} round ${round + 1}: other load ${fixed(worst)} cores > ${options.maxOtherLoad}, round thrown away and run again\n`);
            await Bun.sleep(3000);
            continue;
          }
          if (worst > options.maxOtherLoad) disturbedRounds++;
          for (const { mode, samples, phase } of phases) {
            runs[mode].samples.push(...samples);
            runs[mode].phases.push(phase);
          }
          break;
        }
      }
      levels.push({ concurrency: c, runs, discardedRounds, disturbedRounds });
    }

    // Memory: sampling /proc costs a few ms of CPU, so it runs in its own untimed phase at the highest level.
    const memoryConcurrency = Math.max(...options.concurrency);
    const memoryRequests = requestsAt(options, memoryConcurrency);
    process.stderr.write(`bench: memory phase: ${memoryRequests} requests per relay mode at c=${memoryConcurrency}, sampling every ${options.rssIntervalMs} ms\n`);
    sampler.start();
    for (const mode of ["relay", "relay-stream"] as const) {
      const { samples } = await closedLoop(memoryRequests, memoryConcurrency, run[mode]);
      const failed = samples.filter((sample) => !sample.ok);
      if (failed.length) process.stderr.write(`bench: memory phase ${mode}: ${failed.length} failed, e.g. ${failed[0].error}\n`);
      await waitForRelayIdle(relayUrl);
    }
    sampler.stop();
    const memory = await processMemory(relay.pid);
    machine.loadAfter = os.loadavg().map((value) => value.toFixed(2)).join(" ");
    const memoryReport = {
      idleRss,
      peakHwm: memory?.hwm ?? Number.NaN,
      endRss: memory?.rss ?? Number.NaN,
      peakRssSampled: sampler.peakRssBytes,
      peakTree: sampler.peakTreeBytes,
      peakTreePss: sampler.peakTreePssBytes,
      peakTreeProcesses: sampler.peakTreeProcesses,
      peakCliProcesses: sampler.peakChildren,
      samples: sampler.samples,
      intervalMs: options.rssIntervalMs,
      concurrency: memoryConcurrency,
      requests: memoryRequests,
      maxConcurrent,
      relayRequests: relayRequestsSent,
    };
    const markdown = renderMarkdown({
      command,
      machine,
      options,
      relayArgs: displayArgs,
      levels,
      memory: memoryReport,
      relayLogCounts: { ...relay.logCounts },
      relayProblems: [...relay.problems],
    });
    process.stdout.write(markdown + "\n");
    if (options.results) {
      writeFileSync(options.results, `<!-- Written by bench/run.ts; paste into the README. -->\n${markdown}\n`);
      process.stderr.write(`bench: wrote ${relative(process.cwd(), options.results)}\n`);
    }
    if (options.json) {
      const json = {
        command,
        machine,
        options,
        relayArgs: displayArgs,
        memory: memoryReport,
        relayLogCounts: relay.logCounts,
        levels: levels.map((level) => {
          const { perRoundAddedRelay, perRoundAddedStream, ...numbers } = levelNumbers(level);
          return {
            concurrency: level.concurrency,
            ...numbers,
            perRoundAddedRelay,
            perRoundAddedStream,
            phases: Object.fromEntries(modes.map((mode) => [mode, level.runs[mode].phases])),
            errors: Object.fromEntries(modes.map((mode) => [mode, level.runs[mode].errors])),
          };
        }),
      };
      writeFileSync(options.json, JSON.stringify(json, null, 2) + "\n");
      process.stderr.write(`bench: wrote ${options.json}\n`);
    }
  } finally {
    process.off("SIGINT", onSignal);
    const code = await relay?.stop();
    if (code !== undefined && code !== 0) process.stderr.write(`bench: the relay exited with code ${code}\n`);
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
