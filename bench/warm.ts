/**
 * agent-relay warm-start benchmark: time to first token and total time with the REAL claude CLI against the
 * project's fake Anthropic upstream, for a cold `claude -p`, the relay spawning per request, the relay taking
 * a warm (pooled) process, and the relay continuing a live conversation; plus the RSS of the relay and its CLI
 * processes at idle.
 *
 *   node_modules/.bin/bun bench/warm.ts [--runs N] [--json out.json] [--results bench/WARM-RESULTS.md | --no-results]
 *                                       [--at-commit REV] ...   (--help for all options)
 *
 * Variants, interleaved round-robin (the order rotates every round), one request each per round, each started
 * only once every CLI process of the benchmark has gone quiet (no start-up in progress, no exit under way):
 *   cold-p            `claude -p PROMPT --output-format stream-json --verbose --include-partial-messages`,
 *                     stdin ignored, as a user runs it: first text_delta line, and the exit;
 *   relay-cold        a relay with --warm-processes 0 --conversation-idle-timeout 0: every request spawns;
 *   relay-pooled      a relay with --warm-processes N: a new conversation, taken by a warm process (checked
 *                     with the relay's metrics); the pool's refill is timed after the request;
 *   relay-continued   the second turn of a conversation the pooled relay answered (history = that turn + a new
 *                     user message), served by the process kept after it (checked with the relay's metrics);
 *   direct-warm       diagnostic, no relay: a CLI started ahead of time with the relay's argv and environment,
 *                     given initialize + the user message on stdin as the relay gives them; its replacement is
 *                     started as the turn starts, as the relay's pool does;
 *   direct-warm-alone the same, but the replacement is started only after the turn (no start-up competing for
 *                     the cores during the turn);
 *   direct-continued  diagnostic, no relay: the second turn in such a process.
 * The relay variants stream a chat completion; time to first token is the first content delta the client sees,
 * total time the end of the stream.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative, resolve } from "node:path";
import { startFakeUpstream, type ScriptedReply } from "../test/support/fake-anthropic-upstream.ts";
import { bareInvocationFor } from "./lib/bare-spawn.ts";
import { coldPrint, DirectCli, type CliTurnSample } from "./lib/claude-cli-runs.ts";
import { systemCpu } from "./lib/cpu.ts";
import { offlineCliEnv } from "./lib/offline-cli-setup.ts";
import { childrenOf, descendantsOf, memoryOf, startTicks, treeCpuMs, uptimeMs, waitForQuiet, type ProcessMemory } from "./lib/proc-tree.ts";
import { relayRequest } from "./lib/relay-client.ts";
import { startRelayProcess, type RelayProcess } from "./lib/relay-process.ts";
import { fixed, percentile, summarize, type Summary } from "./lib/stats.ts";
import { runBenchmarkAtCommit } from "./lib/at-commit.ts";

const projectRoot = resolve(import.meta.dir, "..");
const claudeBin = join(projectRoot, "node_modules", ".bin", "claude");
const cliPath = join(projectRoot, "src", "cli.ts");
const model = "sonnet";
const answerChunks = ["Hello from ", "fake upstream!"];
const expectedText = answerChunks.join("");
const bar = { pooled: 0.25, continued: 0.15 };

const variants = ["cold-p", "relay-cold", "relay-pooled", "relay-continued", "direct-warm", "direct-warm-alone", "direct-continued"] as const;
type Variant = (typeof variants)[number];
const relayVariants: Variant[] = ["relay-cold", "relay-pooled", "relay-continued"];

const variantLabels: Record<Variant, string> = {
  "cold-p": "cold `claude -p`",
  "relay-cold": "relay, cold (spawn per request)",
  "relay-pooled": "relay, pooled (warm process)",
  "relay-continued": "relay, continued conversation",
  "direct-warm": "direct, pre-spawned CLI (no relay)",
  "direct-warm-alone": "direct, pre-spawned CLI, replacement started after the turn",
  "direct-continued": "direct, 2nd turn in that CLI (no relay)",
};

// ---------------------------------------------------------------------------------------------- options

interface Options {
  runs: number;
  warmupRounds: number;
  warmProcesses: number;
  liveConversations: number;
  direct: boolean;
  quietWindowMs: number;
  maxOtherLoad: number;
  maxRetries: number;
  idleCpuSeconds: number;
  json?: string;
  results?: string;
  atCommit?: string;
  commitLabel?: string;
}

function usage(message?: string): never {
  if (message) process.stderr.write(`bench/warm: ${message}\n`);
  process.stderr.write(
    "usage: bun bench/warm.ts [--runs N] [--warmup N] [--warm-processes N] [--live-conversations N] [--no-direct]\n" +
      "                         [--quiet-window MS] [--max-other-load CORES] [--max-retries N] [--idle-cpu-seconds S]\n" +
      "                         [--json out.json] [--results bench/WARM-RESULTS.md | --no-results] [--at-commit REV]\n" +
      "  --runs N              measured requests per variant, one per round (default 30)\n" +
      "  --warmup N            unmeasured rounds first: the CLI's first runs in a new HOME, the relays' JIT (default 3)\n" +
      "  --warm-processes N    --warm-processes of the pooled relay (default 1)\n" +
      "  --live-conversations N  --max-live-conversations of the pooled relay (default 4): the live conversations at idle\n" +
      "  --no-direct           skip the diagnostic variants that drive a pre-spawned CLI without the relay\n" +

      "  --quiet-window MS     before each request, every CLI process must have used at most one tick in such a window (default 300)\n" +
      "  --max-other-load C    a round during which other work used more than C cores is run again (default 0.3)\n" +
      "  --max-retries N       how often a disturbed round is run again before it is kept and flagged (default 8)\n" +
      "  --idle-cpu-seconds S  how long the CPU of the idle relay and its CLI processes is measured at the end (default 5)\n" +
      "  --at-commit REV       measure src/ as committed at REV, in a temporary copy, with this bench/\n",
  );
  process.exit(message ? 2 : 0);
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    runs: 30,
    warmupRounds: 3,
    warmProcesses: 1,
    liveConversations: 4,
    direct: true,
    quietWindowMs: 300,
    maxOtherLoad: 0.3,
    maxRetries: 8,
    idleCpuSeconds: 5,
    results: join(projectRoot, "bench", "WARM-RESULTS.md"),
  };
  const whole = (flag: string, raw: string | undefined, min = 1) => {
    const value = Number(raw);
    if (!raw || !Number.isInteger(value) || value < min) usage(`${flag} needs a whole number >= ${min}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case "--runs": options.runs = whole(flag, value); i++; break;
      case "--warmup": options.warmupRounds = whole(flag, value, 0); i++; break;
      case "--warm-processes": options.warmProcesses = whole(flag, value); i++; break;
      case "--live-conversations": options.liveConversations = whole(flag, value, 3); i++; break;
      case "--no-direct": options.direct = false; break;
      case "--quiet-window": options.quietWindowMs = whole(flag, value, 50); i++; break;
      case "--max-other-load":
        options.maxOtherLoad = Number(value);
        if (!value || !(options.maxOtherLoad > 0)) usage("--max-other-load needs a number of cores > 0");
        i++;
        break;
      case "--max-retries": options.maxRetries = whole(flag, value, 0); i++; break;
      case "--idle-cpu-seconds": options.idleCpuSeconds = whole(flag, value); i++; break;
      case "--json": if (!value) usage("--json needs a path"); options.json = resolve(value); i++; break;
      case "--results": if (!value) usage("--results needs a path"); options.results = resolve(value); i++; break;
      case "--no-results": options.results = undefined; break;
      case "--at-commit": if (!value) usage("--at-commit needs a revision"); options.atCommit = value; i++; break;
      case "--commit-label": if (!value) usage("--commit-label needs a value"); options.commitLabel = value; i++; break;
      case "-h": case "--help": usage(); break;
      default: usage(`unknown option ${flag}`);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------- samples

interface Sample {
  variant: Variant;
  round: number;
  ok: boolean;
  error?: string;
  /** Start to the first token the client sees. */
  ttftMs: number;
  /** Start to the end: the exit (cold-p), the end of the stream (relay), the result line (direct). */
  totalMs: number;
  /** Start to the fake upstream receiving the model call. */
  upstreamMs: number;
  /** Model calls the upstream received during the request. */
  upstreamCalls: number;
  /** Relay variants: the relay's own time to first token (request arrival to first content), from its metrics. */
  relayTtftMs?: number;
  /** Relay variants: request arrival to the CLI's system/init line, from the relay's metrics. */
  relayTurnStartMs?: number;
  /** Direct and cold-p: start to the CLI's system/init line. */
  initMs?: number;
  /** direct-warm: start to the control response to initialize. */
  initializeMs?: number;
  /** cold-p: the CLI's peak RSS. */
  peakRss?: number;
  /** relay-pooled: request start to the replacement warm process being spawned (10 ms resolution). */
  refillSpawnMs?: number;
  /** relay-pooled: request start to the replacement having finished starting (its CPU quiet). */
  refillReadyMs?: number;
  /** relay-pooled: end of the stream to the replacement having finished starting (0 if it was ready by then). */
  refillReadyAfterEndMs?: number;
  /** Continued variants: how long the process waited idle since the previous turn. */
  keptIdleMs?: number;
  /** The wait for quiet before the request. */
  settleMs: number;
  settledQuiet: boolean;
}

interface Round {
  round: number;
  attempt: number;
  order: Variant[];
  wallMs: number;
  /** CPU of this benchmark's process tree (itself, the relays, every CLI), in cores over the round. */
  benchCores: number;
  /** Busy CPU of everything else on the machine, in cores. */
  otherCores: number;
  stealCores: number;
  kept: boolean;
}

interface Conversation {
  messages: Array<{ role: "user" | "assistant"; content: string }>;
  answeredAt: number;
}

// ---------------------------------------------------------------------------------------------- relay helpers

interface Health {
  requests: { active: number; queued: number };
  cli_processes: number;
  warm_processes: number;
  live_conversations: number;
}

const health = async (relay: RelayProcess): Promise<Health> => (await fetch(`${relay.url}/health`)).json() as Promise<Health>;

type MetricSeries = Array<{ labels: Record<string, string>; value?: number; sum?: number; count?: number }>;
type MetricsJson = Record<string, MetricSeries | number>;
const metricsOf = async (relay: RelayProcess): Promise<MetricsJson> => (await fetch(`${relay.url}/v1/metrics`)).json() as Promise<MetricsJson>;

/** Sum of a counter's values, or of a histogram's sums or counts, over the series whose labels match. */
function metricTotal(metrics: MetricsJson, name: string, field: "value" | "sum" | "count", labels: Record<string, string> = {}): number {
  const series = metrics[name];
  if (!Array.isArray(series)) return 0;
  return series
    .filter((entry) => Object.entries(labels).every(([key, value]) => entry.labels[key] === value))
    .reduce((total, entry) => total + (entry[field] ?? 0), 0);
}

function metricDelta(before: MetricsJson, after: MetricsJson, name: string, field: "value" | "sum" | "count", labels: Record<string, string> = {}) {
  return metricTotal(after, name, field, labels) - metricTotal(before, name, field, labels);
}

// ---------------------------------------------------------------------------------------------- machine

interface Machine {
  date: string;
  cpus: string;
  cores: number;
  kernel: string;
  memoryGb: number;
  bun: string;
  claude: string;
  loadBefore: string;
  loadAfter?: string;
  commit: string;
}

function machineInfo(options: Options): Machine {
  const cpus = os.cpus();
  const labelled = options.commitLabel?.split("|")[0];
  const git = (args: string[]) => Bun.spawnSync(["git", ...args], { cwd: projectRoot }).stdout.toString().trim();
  const dirty = !labelled && git(["status", "--porcelain", "src"]) !== "";
  const claude = Bun.spawnSync([claudeBin, "--version"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir() } }).stdout.toString().trim();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: cpus[0]?.model.trim() ?? "unknown CPU",
    cores: cpus.length,
    kernel: os.release(),
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    bun: `${Bun.version} (${Bun.revision.slice(0, 9)})`,
    claude: claude || "unknown",
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
    script: "warm.ts",
    argv,
    pathOptions: ["--json", "--results"],
    defaultResults: join(projectRoot, "bench", "WARM-RESULTS.md"),
  });
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.atCommit) process.exit(await runAtCommit(options, process.argv.slice(2)));
  if (process.platform !== "linux") throw new Error("the benchmark reads /proc and runs on Linux only");
  const command = options.commitLabel?.split("|").slice(1).join("|") || `node_modules/.bin/bun bench/warm.ts ${process.argv.slice(2).join(" ")}`.trim();
  const machine = machineInfo(options);
  const activeVariants = variants.filter((variant) => options.direct || !variant.startsWith("direct"));

  // The fake upstream answers every model call at once with a short streamed text; the time of each call is noted.
  const upstream = startFakeUpstream();
  const upstreamCalls: number[] = [];
  const reply: ScriptedReply = { kind: "text", chunks: answerChunks };
  upstream.setDefault(() => {
    upstreamCalls.push(performance.now());
    return reply;
  });

  const home = mkdtempSync(join(os.tmpdir(), "agent-relay-warm-"));
  const userProject = join(home, "project");
  const directWorkdir = join(home, "direct-workspace");
  mkdirSync(userProject, { recursive: true });
  mkdirSync(directWorkdir, { recursive: true });
  // One environment for every CLI: the cold `claude -p`, the relays (whose CLIs inherit it) and the direct CLIs.
  const env = offlineCliEnv(home, upstream.url);
  const relayArgs = (name: string, extra: string[]) => [
    "--host", "127.0.0.1",
    "--port", "0",
    "--claude-bin", claudeBin,
    "--data-dir", join(home, name),
    ...extra,
    "--log-level", "info",
  ];
  const coldArgs = relayArgs("relay-cold", ["--warm-processes", "0", "--conversation-idle-timeout", "0"]);
  const warmArgs = relayArgs("relay-warm", ["--warm-processes", String(options.warmProcesses), "--max-live-conversations", String(options.liveConversations)]);
  const display = (args: string[]) =>
    args.map((arg) => (arg.startsWith(home) ? arg.replace(home, "$TMP") : arg.startsWith(projectRoot) ? relative(projectRoot, arg) : arg)).join(" ");

  let coldRelay: RelayProcess | undefined;
  let warmRelay: RelayProcess | undefined;
  /** The pre-spawned direct CLIs waiting for a turn, one per direct variant. */
  const directSlots: Record<"withRequest" | "alone", { ready?: DirectCli }> = { withRequest: {}, alone: {} };
  const directPending: Array<{ cli: DirectCli; answeredAt: number }> = [];
  const cleanup = async () => {
    await Promise.allSettled([coldRelay?.stop(), warmRelay?.stop(), directSlots.withRequest.ready?.close(), directSlots.alone.ready?.close(), ...directPending.map(({ cli }) => cli.close())]);
    await upstream.stop();
    rmSync(home, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    [coldRelay, warmRelay] = await Promise.all([
      startRelayProcess({ bun: process.execPath, cliPath, args: coldArgs, env, cwd: projectRoot }),
      startRelayProcess({ bun: process.execPath, cliPath, args: warmArgs, env, cwd: projectRoot }),
    ]);
    const cold = coldRelay;
    const warm = warmRelay;
    process.stderr.write(`bench/warm: cold relay pid ${cold.pid} at ${cold.url}; pooled relay pid ${warm.pid} at ${warm.url}\n`);

    // The direct CLIs get exactly what the relay would run for a one-turn chat request.
    const directInvocation = (text: string) =>
      bareInvocationFor({
        body: { model, messages: [{ role: "user", content: text }] } as any,
        binary: claudeBin,
        cwd: directWorkdir,
        env,
        settings: { cliMaxRetries: 1, agent: false, permissionMode: "default", relayAddress: { host: "127.0.0.1", port: 9 } },
      });
    const directSpec = directInvocation("spec");
    const spawnDirect = () => new DirectCli({ binary: claudeBin, args: directSpec.args, cwd: directWorkdir, env: directSpec.env as Record<string, string> });

    /** Waits until nothing is under way: no request, the pool full, every CLI process quiet. */
    const settle = async (): Promise<{ settleMs: number; settledQuiet: boolean }> => {
      const start = performance.now();
      const deadline = start + 20_000;
      let idle = false;
      while (!idle && performance.now() < deadline) {
        const [a, b] = await Promise.all([health(cold), health(warm)]);
        const coldIdle = a.requests.active === 0 && a.cli_processes === 0;
        const warmIdle = b.requests.active === 0 && b.warm_processes >= options.warmProcesses && b.cli_processes === b.warm_processes + b.live_conversations;
        idle = coldIdle && warmIdle;
        if (!idle) await Bun.sleep(10);
      }
      const quiet = await waitForQuiet(process.pid, { windowMs: options.quietWindowMs, timeoutMs: 15_000 });
      return { settleMs: performance.now() - start, settledQuiet: idle && quiet.quiet };
    };

    const upstreamSince = (index: number, start: number) => ({
      upstreamMs: upstreamCalls.length > index ? upstreamCalls[index] - start : Number.NaN,
      upstreamCalls: upstreamCalls.length - index,
    });

    let conversationCounter = 0;
    const pending: Conversation[] = [];

    /** A streamed chat completion to a relay, with the relay's own metrics before and after. */
    const relaySample = async (relay: RelayProcess, messages: Conversation["messages"]) => {
      const before = await metricsOf(relay);
      const index = upstreamCalls.length;
      const uptimeAtStart = uptimeMs();
      const start = performance.now();
      const result = await relayRequest(relay.url, { model, messages }, true);
      const endedAt = performance.now();
      const upstreamPart = upstreamSince(index, start);
      return { result, before, start, endedAt, upstreamPart, uptimeAtStart };
    };
    const relayMetricsOf = (before: MetricsJson, after: MetricsJson, source: string) => ({
      relayTtftMs: metricDelta(before, after, "agent_relay_time_to_first_token_seconds", "sum") * 1000,
      relayTurnStartMs: metricDelta(before, after, "agent_relay_cli_turn_start_seconds", "sum", { source }) * 1000,
      turnStarts: metricDelta(before, after, "agent_relay_cli_turn_start_seconds", "count", { source }),
    });

    /** A new conversation on the pooled relay; afterwards, the pool's refill is timed. */
    const pooledRequest = async (): Promise<Omit<Sample, "round" | "settleMs" | "settledQuiet">> => {
      const childrenBefore = new Set(childrenOf(warm.pid));
      const prompt = `Say hello. (conversation ${++conversationCounter})`;
      const messages: Conversation["messages"] = [{ role: "user", content: prompt }];
      const { result, before, start, endedAt, upstreamPart, uptimeAtStart } = await relaySample(warm, messages);
      // Refill: the pool spawns a new process as the request takes one; it is ready once its start-up CPU stops.
      // Nothing is polled during the request (that would load the cores it is measured on).
      let refillSpawnMs = Number.NaN;
      let refillReadyMs = Number.NaN;
      let refillReadyAfterEndMs = Number.NaN;
      let fresh: number | undefined;
      while (performance.now() - endedAt < 5000) {
        fresh = childrenOf(warm.pid).find((pid) => !childrenBefore.has(pid));
        if (fresh !== undefined) break;
        await Bun.sleep(2);
      }
      if (fresh !== undefined) {
        // Process start times are kept in clock ticks since boot: 10 ms resolution.
        refillSpawnMs = startTicks(fresh) * 10 - uptimeAtStart;
        const readings: Array<{ at: number; cpu: number }> = [];
        while (performance.now() - endedAt < 15_000) {
          const at = performance.now();
          readings.push({ at, cpu: treeCpuMs(fresh) });
          const last = readings.at(-1)!;
          const quietFrom = readings.find((reading) => last.cpu - reading.cpu <= 10);
          if (quietFrom && last.at - quietFrom.at >= options.quietWindowMs) {
            // The first reading is taken after the end of the stream: a process already quiet then counts as ready at the end.
            refillReadyMs = quietFrom.at - start;
            refillReadyAfterEndMs = quietFrom.at - endedAt;
            break;
          }
          await Bun.sleep(20);
        }
      }
      const after = await metricsOf(warm);
      const relay = relayMetricsOf(before, after, "warm");
      let ok = result.ok && result.text === expectedText;
      let error = result.ok && !ok ? `unexpected text ${JSON.stringify(result.text)}` : result.error;
      if (ok && (metricDelta(before, after, "agent_relay_warm_pool_requests_total", "value", { result: "hit" }) !== 1 || relay.turnStarts !== 1)) {
        ok = false;
        error = "not served by a warm process";
      }
      if (ok) pending.push({ messages: [...messages, { role: "assistant", content: result.text }], answeredAt: performance.now() });
      return {
        variant: "relay-pooled",
        ok,
        error,
        ttftMs: result.firstTokenMs,
        totalMs: result.totalMs,
        ...upstreamPart,
        relayTtftMs: relay.relayTtftMs,
        relayTurnStartMs: relay.relayTurnStartMs,
        refillSpawnMs,
        refillReadyMs,
        refillReadyAfterEndMs,
      };
    };

    const continuedRequest = async (): Promise<Omit<Sample, "round" | "settleMs" | "settledQuiet">> => {
      const conversation = pending.shift();
      if (!conversation) throw new Error("no conversation to continue");
      const number = /\(conversation (\d+)\)/.exec(conversation.messages[0].content)?.[1];
      const messages: Conversation["messages"] = [...conversation.messages, { role: "user", content: `Once more, please. (conversation ${number}, turn 2)` }];
      const keptIdleMs = performance.now() - conversation.answeredAt;
      const { result, before, upstreamPart } = await relaySample(warm, messages);
      const after = await metricsOf(warm);
      const relay = relayMetricsOf(before, after, "live");
      let ok = result.ok && result.text === expectedText;
      let error = result.ok && !ok ? `unexpected text ${JSON.stringify(result.text)}` : result.error;
      if (ok && metricDelta(before, after, "agent_relay_conversation_continuations_total", "value", { path: "live" }) !== 1) {
        ok = false;
        error = "not served by the conversation's live process";
      }
      return {
        variant: "relay-continued",
        ok,
        error,
        ttftMs: result.firstTokenMs,
        totalMs: result.totalMs,
        ...upstreamPart,
        relayTtftMs: relay.relayTtftMs,
        relayTurnStartMs: relay.turnStarts === 1 ? relay.relayTurnStartMs : undefined,
        keptIdleMs,
      };
    };

    const coldRelayRequest = async (): Promise<Omit<Sample, "round" | "settleMs" | "settledQuiet">> => {
      const messages: Conversation["messages"] = [{ role: "user", content: `Say hello. (conversation ${++conversationCounter})` }];
      const { result, before, upstreamPart } = await relaySample(cold, messages);
      const after = await metricsOf(cold);
      const relay = relayMetricsOf(before, after, "cold");
      let ok = result.ok && result.text === expectedText;
      let error = result.ok && !ok ? `unexpected text ${JSON.stringify(result.text)}` : result.error;
      if (ok && relay.turnStarts !== 1) {
        ok = false;
        error = "not served by a new process";
      }
      return {
        variant: "relay-cold",
        ok,
        error,
        ttftMs: result.firstTokenMs,
        totalMs: result.totalMs,
        ...upstreamPart,
        relayTtftMs: relay.relayTtftMs,
        relayTurnStartMs: relay.relayTurnStartMs,
      };
    };

    const fromCli = (variant: Variant, sample: CliTurnSample, index: number, start: number) => {
      const ok = sample.ok && sample.text === expectedText;
      return {
        variant,
        ok,
        error: sample.ok && !ok ? `unexpected text ${JSON.stringify(sample.text)}` : sample.error,
        ttftMs: sample.firstTokenMs,
        totalMs: sample.totalMs,
        ...upstreamSince(index, start),
        initMs: sample.initMs,
        initializeMs: sample.initializeMs,
        peakRss: sample.peakRss,
      };
    };

    const coldPrintRequest = async () => {
      const index = upstreamCalls.length;
      const start = performance.now();
      const sample = await coldPrint({ binary: claudeBin, prompt: `Say hello. (conversation ${++conversationCounter})`, cwd: userProject, env });
      return fromCli("cold-p", sample, index, start);
    };

    /**
     * A new conversation in a pre-spawned direct CLI. "direct-warm" starts its replacement as the turn starts,
     * as the relay's pool does (after a 0 ms timer), and keeps the process for direct-continued;
     * "direct-warm-alone" starts its replacement after the turn and ends the process.
     */
    const directWarmRequest = async (variant: "direct-warm" | "direct-warm-alone") => {
      const slot = variant === "direct-warm" ? directSlots.withRequest : directSlots.alone;
      const cli = slot.ready ?? spawnDirect();
      slot.ready = undefined;
      const invocation = directInvocation(`Say hello. (conversation ${++conversationCounter})`);
      const index = upstreamCalls.length;
      const start = performance.now();
      const turn = cli.turn([invocation.initialize, invocation.userMessage]);
      if (variant === "direct-warm") setTimeout(() => (slot.ready = spawnDirect()), 0);
      const sample = await turn;
      const result = fromCli(variant, sample, index, start);
      if (variant === "direct-warm-alone") {
        slot.ready = spawnDirect();
        await cli.close();
      } else if (result.ok) directPending.push({ cli, answeredAt: performance.now() });
      else await cli.close();
      return result;
    };

    const directContinuedRequest = async () => {
      const entry = directPending.shift();
      if (!entry) throw new Error("no direct CLI to continue");
      const invocation = directInvocation(`Once more, please. (conversation ${conversationCounter}, turn 2)`);
      const keptIdleMs = performance.now() - entry.answeredAt;
      const index = upstreamCalls.length;
      const start = performance.now();
      const sample = await entry.cli.turn([invocation.userMessage]);
      const result = { ...fromCli("direct-continued", sample, index, start), keptIdleMs };
      await entry.cli.close();
      return result;
    };

    const measure: Record<Variant, () => Promise<Omit<Sample, "round" | "settleMs" | "settledQuiet">>> = {
      "cold-p": coldPrintRequest,
      "relay-cold": coldRelayRequest,
      "relay-pooled": pooledRequest,
      "relay-continued": continuedRequest,
      "direct-warm": () => directWarmRequest("direct-warm"),
      "direct-warm-alone": () => directWarmRequest("direct-warm-alone"),
      "direct-continued": directContinuedRequest,
    };

    /**
     * The continued variants need a conversation answered earlier; the rotation puts them before the pooled
     * request in some rounds, so one extra conversation is always kept ready (unmeasured when it has to be made).
     */
    const ensureConversations = async () => {
      while (pending.length < 1) {
        const sample = await pooledRequest();
        if (!sample.ok) throw new Error(`could not start a conversation on the pooled relay: ${sample.error}`);
        await settle();
      }
      if (options.direct) {
        directSlots.withRequest.ready ??= spawnDirect();
        directSlots.alone.ready ??= spawnDirect();
        while (directPending.length < 1) {
          await settle();
          const sample = await directWarmRequest("direct-warm");
          if (!sample.ok) throw new Error(`the direct CLI failed: ${sample.error}`);
        }
      }
    };

    // The pool fills only for settings a request has used: the first request on the pooled relay is cold.
    process.stderr.write("bench/warm: priming the pooled relay (its first request is cold)\n");
    const prime = await relayRequest(warm.url, { model, messages: [{ role: "user", content: "Prime the pool." }] }, true);
    if (!prime.ok) throw new Error(`the pooled relay failed its first request: ${prime.error}`);
    await settle();
    await ensureConversations();

    const samples: Sample[] = [];
    const rounds: Round[] = [];
    let failures = 0;
    const failureExamples: string[] = [];
    const totalRounds = options.warmupRounds + options.runs;
    for (let round = 0; round < totalRounds; round++) {
      const measured = round >= options.warmupRounds;
      const order = activeVariants.map((_, index) => activeVariants[(index + round) % activeVariants.length]);
      for (let attempt = 0; ; attempt++) {
        await ensureConversations();
        await settle();
        const cpuBefore = { tree: treeCpuMs(process.pid), system: systemCpu() };
        const begin = performance.now();
        const roundSamples: Sample[] = [];
        for (const variant of order) {
          const settled = await settle();
          const sample: Sample = { ...(await measure[variant]()), round, ...settled };
          roundSamples.push(sample);
          if (!sample.ok) {
            failures++;
            if (failureExamples.length < 10) failureExamples.push(`${variant}: ${sample.error}`);
          }
        }
        await settle();
        const wallMs = performance.now() - begin;
        const cpuAfter = { tree: treeCpuMs(process.pid), system: systemCpu() };
        const benchMs = cpuAfter.tree - cpuBefore.tree;
        const busyMs = cpuAfter.system.busy - cpuBefore.system.busy;
        const otherCores = Math.max(0, busyMs - benchMs) / wallMs;
        const info: Round = {
          round,
          attempt,
          order,
          wallMs,
          benchCores: benchMs / wallMs,
          otherCores,
          stealCores: (cpuAfter.system.steal - cpuBefore.system.steal) / wallMs,
          kept: false,
        };
        const line = roundSamples
          .map((sample) => `${sample.variant} ${sample.ok ? `${fixed(sample.ttftMs, 0)}/${fixed(sample.totalMs, 0)}` : "FAILED"}`)
          .join("  ");
        process.stderr.write(
          `bench/warm: ${measured ? `round ${round - options.warmupRounds + 1}/${options.runs}` : `warm-up ${round + 1}/${options.warmupRounds}`}` +
            `${attempt ? ` (retry ${attempt})` : ""}  ttft/total ms: ${line}  other ${fixed(otherCores)} cores\n`,
        );
        if (!measured) break;
        if (otherCores > options.maxOtherLoad && attempt < options.maxRetries) {
          rounds.push(info);
          process.stderr.write(`bench/warm: other load ${fixed(otherCores)} cores > ${options.maxOtherLoad}: round thrown away and run again\n`);
          await Bun.sleep(3000);
          continue;
        }
        info.kept = true;
        rounds.push(info);
        samples.push(...roundSamples);
        break;
      }
    }

    // ------------------------------------------------------------------------------------------ memory
    await settle();
    const warmHealth = await health(warm);
    const children = childrenOf(warm.pid).sort((a, b) => startTicks(a) - startTicks(b) || a - b);
    // In the steady state the pool is refilled after each pooled request and nothing else spawns: the most
    // recently started children are the warm processes, the others the live conversations.
    if (children.length !== warmHealth.warm_processes + warmHealth.live_conversations) {
      process.stderr.write(`bench/warm: the pooled relay has ${children.length} children for ${warmHealth.warm_processes} warm and ${warmHealth.live_conversations} live: memory per kind is approximate\n`);
    }
    const warmPids = children.slice(-warmHealth.warm_processes);
    const livePids = children.slice(0, children.length - warmHealth.warm_processes);
    const treeMemory = async (pid: number) => {
      const members = await Promise.all([pid, ...descendantsOf(pid)].map(memoryOf));
      const present = members.filter((member): member is ProcessMemory => member !== undefined);
      return {
        rss: present.reduce((sum, member) => sum + member.rss, 0),
        pss: present.reduce((sum, member) => sum + member.pss, 0),
        processes: present.length,
      };
    };
    const idleCpuStart = { warm: treeCpuMs(warm.pid), cold: treeCpuMs(cold.pid), at: performance.now() };
    await Bun.sleep(options.idleCpuSeconds * 1000);
    const idleCpu = {
      warmCores: (treeCpuMs(warm.pid) - idleCpuStart.warm) / (performance.now() - idleCpuStart.at),
      coldCores: (treeCpuMs(cold.pid) - idleCpuStart.cold) / (performance.now() - idleCpuStart.at),
      seconds: options.idleCpuSeconds,
    };
    const memory = {
      coldRelay: await memoryOf(cold.pid),
      coldRelayChildren: descendantsOf(cold.pid).length,
      warmRelay: await memoryOf(warm.pid),
      warmCli: (await Promise.all(warmPids.map(treeMemory))),
      liveCli: (await Promise.all(livePids.map(treeMemory))),
      warmTree: await treeMemory(warm.pid),
      health: warmHealth,
      idleCpu,
    };
    machine.loadAfter = os.loadavg().map((value) => value.toFixed(2)).join(" ");

    const report = buildReport({
      command,
      machine,
      options,
      activeVariants,
      samples,
      rounds,
      failures,
      failureExamples,
      memory,
      relays: { cold: `bun src/cli.ts ${display(coldArgs)}`, warm: `bun src/cli.ts ${display(warmArgs)}` },
      relayProblems: [...cold.problems, ...warm.problems],
    });
    process.stdout.write(report.markdown + "\n");
    if (options.results) {
      writeFileSync(options.results, `<!-- Written by bench/warm.ts; paste into the README. -->\n${report.markdown}\n`);
      process.stderr.write(`bench/warm: wrote ${relative(process.cwd(), options.results)}\n`);
    }
    if (options.json) {
      writeFileSync(options.json, JSON.stringify({ command, machine, options, summary: report.summary, memory, rounds, samples }, null, 2) + "\n");
      process.stderr.write(`bench/warm: wrote ${options.json}\n`);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------- report

const mb = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? "n/a" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const pct = (ratio: number) => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : "n/a");

function buildReport(input: {
  command: string;
  machine: Machine;
  options: Options;
  activeVariants: Variant[];
  samples: Sample[];
  rounds: Round[];
  failures: number;
  failureExamples: string[];
  memory: {
    coldRelay?: ProcessMemory;
    coldRelayChildren: number;
    warmRelay?: ProcessMemory;
    warmCli: Array<{ rss: number; pss: number; processes: number }>;
    liveCli: Array<{ rss: number; pss: number; processes: number }>;
    warmTree: { rss: number; pss: number; processes: number };
    health: Health;
    idleCpu: { warmCores: number; coldCores: number; seconds: number };
  };
  relays: { cold: string; warm: string };
  relayProblems: string[];
}) {
  const { machine, options, samples, rounds, memory } = input;
  const ok = (variant: Variant) => samples.filter((sample) => sample.variant === variant && sample.ok);
  const stat = (variant: Variant, pick: (sample: Sample) => number | undefined): Summary =>
    summarize(ok(variant).map(pick).filter((value): value is number => value !== undefined && Number.isFinite(value)));
  const summary = Object.fromEntries(
    input.activeVariants.map((variant) => [
      variant,
      {
        n: ok(variant).length,
        failed: samples.filter((sample) => sample.variant === variant && !sample.ok).length,
        ttft: stat(variant, (s) => s.ttftMs),
        total: stat(variant, (s) => s.totalMs),
        upstream: stat(variant, (s) => s.upstreamMs),
        upstreamToFirstToken: stat(variant, (s) => s.ttftMs - s.upstreamMs),
        upstreamCalls: stat(variant, (s) => s.upstreamCalls),
        relayTtft: stat(variant, (s) => s.relayTtftMs),
        relayTurnStart: stat(variant, (s) => s.relayTurnStartMs),
        init: stat(variant, (s) => s.initMs),
        initialize: stat(variant, (s) => s.initializeMs),
        peakRss: stat(variant, (s) => s.peakRss),
        refillSpawn: stat(variant, (s) => s.refillSpawnMs),
        refillReady: stat(variant, (s) => s.refillReadyMs),
        refillReadyAfterEnd: stat(variant, (s) => s.refillReadyAfterEndMs),
        keptIdle: stat(variant, (s) => s.keptIdleMs),
        settle: stat(variant, (s) => s.settleMs),
        notQuiet: ok(variant).filter((s) => !s.settledQuiet).length,
      },
    ]),
  ) as Record<Variant, any>;
  const coldP = summary["cold-p"].ttft.median;
  const ratio = (variant: Variant) => summary[variant]?.ttft.median / coldP;
  // Paired within each round: the same noise hit both requests.
  const pairs = (a: Variant, b: Variant) => {
    const byRound = new Map<number, Partial<Record<Variant, Sample>>>();
    for (const sample of samples) {
      if (!sample.ok) continue;
      const entry = byRound.get(sample.round) ?? {};
      entry[sample.variant] = sample;
      byRound.set(sample.round, entry);
    }
    return [...byRound.values()].filter((entry) => entry[a] && entry[b]).map((entry) => [entry[a]!, entry[b]!] as const);
  };
  const pairedRatios = (variant: Variant) => pairs(variant, "cold-p").map(([other, coldPrint]) => other.ttftMs / coldPrint.ttftMs);
  /** Median over rounds of pick(a) − pick(b). */
  const pairedDiff = (a: Variant, b: Variant, pick: (sample: Sample) => number | undefined) =>
    percentile(
      pairs(a, b)
        .map(([x, y]) => (pick(x) ?? Number.NaN) - (pick(y) ?? Number.NaN))
        .filter(Number.isFinite),
      50,
    );
  const paired = { pooled: pairedRatios("relay-pooled"), continued: pairedRatios("relay-continued") };
  const pooledMet = ratio("relay-pooled") <= bar.pooled;
  const continuedMet = ratio("relay-continued") <= bar.continued;
  const kept = rounds.filter((round) => round.kept);
  const discarded = rounds.filter((round) => !round.kept).length;
  const disturbed = kept.filter((round) => round.otherCores > options.maxOtherLoad).length;
  const notQuiet = samples.filter((sample) => !sample.settledQuiet).length;
  const verdict = (met: boolean) => (met ? "**met**" : "**missed**");

  const lines: string[] = [];
  lines.push("## Benchmark: time to first token with warm processes and live conversations");
  lines.push("");
  lines.push(
    `Measured ${machine.date} on ${machine.cores} × ${machine.cpus}, ${machine.memoryGb} GB RAM, Linux ${machine.kernel}, Bun ${machine.bun}, ` +
      `Claude Code ${machine.claude}, commit ${machine.commit}. Load average before: ${machine.loadBefore}; after: ${machine.loadAfter ?? "n/a"}.`,
  );
  lines.push("");
  lines.push("```sh");
  lines.push(input.command);
  lines.push("```");
  lines.push("");
  lines.push(
    `The real CLI against the project's fake Anthropic upstream (\`test/support/fake-anthropic-upstream.ts\`, in the benchmark process, ` +
      `answering every model call at once with "${expectedText}" in ${answerChunks.length} text deltas), in a temporary HOME with ` +
      "`ANTHROPIC_BASE_URL` pointing at the fake, a dummy `ANTHROPIC_API_KEY` and `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`. " +
      `${options.runs} requests per variant, one per round, in round-robin with the order rotating every round, after ${options.warmupRounds} unmeasured rounds. ` +
      `Before each request the benchmark waits until no request is running, the pool is full and every CLI process has been quiet (at most one 10 ms clock tick) for ${options.quietWindowMs} ms, ` +
      "so a request never overlaps another's start-up, refill or exit. " +
      `A round during which other work on the machine used more than ${options.maxOtherLoad} cores was thrown away and run again (${discarded} thrown away` +
      `${disturbed ? `, ${disturbed} kept although disturbed after ${options.maxRetries} retries` : ""}). ` +
      `The relays run as their own processes: \`${input.relays.cold}\` (cold) and \`${input.relays.warm}\` (pooled and continued). ` +
      `Relay requests: \`POST /v1/chat/completions\`, \`model: "${model}"\`, \`stream: true\`; time to first token is the first content delta the client reads, total time the end of the stream.`,
  );
  lines.push("");
  lines.push("### Time to first token and total time, ms");
  lines.push("");
  lines.push("| variant | TTFT p50 | TTFT p90 | **TTFT ÷ cold `claude -p`** | total p50 | total p90 | n |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const variant of input.activeVariants) {
    const s = summary[variant];
    const mark = variant === "relay-pooled" || variant === "relay-continued" ? "**" : "";
    lines.push(
      `| ${variantLabels[variant]} | ${mark}${fixed(s.ttft.median, 0)}${mark} | ${fixed(s.ttft.p90, 0)} | ${mark}${variant === "cold-p" ? "100%" : pct(ratio(variant))}${mark} | ` +
        `${fixed(s.total.median, 0)} | ${fixed(s.total.p90, 0)} | ${s.n}${s.failed ? ` (+${s.failed} failed)` : ""} |`,
    );
  }
  lines.push("");
  lines.push(
    "- **cold `claude -p`**: `claude -p PROMPT --output-format stream-json --verbose --include-partial-messages`, stdin ignored, spawned by the benchmark; " +
      "TTFT = the first `text_delta` line on stdout, total = the exit.",
  );
  lines.push("- **relay, cold**: every request spawns a CLI (`--warm-processes 0 --conversation-idle-timeout 0`).");
  lines.push(
    `- **relay, pooled**: a new conversation taken by a warm process (\`--warm-processes ${options.warmProcesses}\`), checked per request with the relay's metrics (a warm-pool hit); ` +
      "the pool had refilled and its process finished starting before each request.",
  );
  lines.push(
    `- **relay, continued**: turn 2 of a conversation the pooled relay answered (the first user message, the relay's answer, a new user message), served by the process kept after turn 1 ` +
      `(checked with the relay's metrics); it had waited idle ${fixed(summary["relay-continued"].keptIdle.median / 1000, 1)} s (median).`,
  );
  if (options.direct) {
    lines.push(
      "- **direct** rows (diagnostic, no relay, not part of the bar): a CLI started ahead of time by the benchmark with the relay's argv and environment, " +
        "given `initialize` and the user message on stdin as the relay gives them (TTFT = first `text_delta` line, total = `result` line), and then a second user message. " +
        "Like the relay's pool, it starts the replacement process as the turn starts; the \"replacement started after the turn\" row starts it only once the turn is over.",
    );
  }
  lines.push("");
  lines.push("### The bar");
  lines.push("");
  lines.push(
    `- Pooled TTFT ≤ ${bar.pooled * 100}% of a cold \`claude -p\`: ${verdict(pooledMet)}: ${fixed(summary["relay-pooled"].ttft.median, 0)} ÷ ${fixed(coldP, 0)} ms = **${pct(ratio("relay-pooled"))}** ` +
      `(paired within rounds: median ${pct(percentile(paired.pooled, 50))}, p90 ${pct(percentile(paired.pooled, 90))}, worst ${pct(Math.max(...paired.pooled))}).`,
  );
  lines.push(
    `- Continued TTFT ≤ ${bar.continued * 100}% of a cold \`claude -p\`: ${verdict(continuedMet)}: ${fixed(summary["relay-continued"].ttft.median, 0)} ÷ ${fixed(coldP, 0)} ms = **${pct(ratio("relay-continued"))}** ` +
      `(paired within rounds: median ${pct(percentile(paired.continued, 50))}, p90 ${pct(percentile(paired.continued, 90))}, worst ${pct(Math.max(...paired.continued))}).`,
  );
  lines.push("");
  lines.push("### Where the time goes, ms (medians)");
  lines.push("");
  lines.push("| variant | start → upstream request | upstream request → first token at the client | relay: arrival → CLI turn start (`system/init`) | relay: arrival → first content (its own TTFT) | client TTFT − relay TTFT |");
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const variant of input.activeVariants) {
    const s = summary[variant];
    const isRelay = relayVariants.includes(variant);
    const clientMinusRelay = isRelay ? stat(variant, (x) => (x.relayTtftMs === undefined ? undefined : x.ttftMs - x.relayTtftMs)).median : Number.NaN;
    const turnStart = isRelay ? fixed(s.relayTurnStart.median, 1) : `${fixed(s.init.median, 1)} (start → \`system/init\`)`;
    lines.push(
      `| ${variantLabels[variant]} | ${fixed(s.upstream.median, 1)} | ${fixed(s.upstreamToFirstToken.median, 1)} | ${s.relayTurnStart.n || !isRelay ? turnStart : "n/a"} | ${isRelay ? fixed(s.relayTtft.median, 1) : "–"} | ${isRelay ? fixed(clientMinusRelay, 1) : "–"} |`,
    );
  }
  lines.push("");
  lines.push(
    "The upstream times come from the fake upstream's clock (same process as the client). Relay-side times come from the relay's metrics " +
      "(`agent_relay_time_to_first_token_seconds`, `agent_relay_cli_turn_start_seconds`), read before and after each request. " +
      `Model calls per request: ${input.activeVariants.map((variant) => `${variant} ${fixed(summary[variant].upstreamCalls.median, 0)}`).join(", ")} (median).` +
      (options.direct ? ` Direct pre-spawned CLI: the control response to \`initialize\` came ${fixed(summary["direct-warm"].initialize.median, 1)} ms after writing it.` : ""),
  );
  lines.push("");
  const refill = summary["relay-pooled"];
  lines.push(
    `Pool refill (\`--warm-processes ${options.warmProcesses}\`): the relay spawns the replacement as a request takes a warm process, ` +
      `${fixed(refill.refillSpawn.median, 0)} ms (p90 ${fixed(refill.refillSpawn.p90, 0)}; 10 ms resolution) after the request started, so its start-up runs while the request is served. ` +
      `It had finished starting (its CPU quiet) ${fixed(refill.refillReady.median, 0)} ms (p90 ${fixed(refill.refillReady.p90, 0)}) after the request started, ` +
      `${fixed(refill.refillReadyAfterEnd.median, 0)} ms (p90 ${fixed(refill.refillReadyAfterEnd.p90, 0)}) after the end of its stream. ` +
      "A new conversation arriving sooner than that takes the process while it is still starting (or spawns one when the pool is empty). " +
      (options.direct
        ? `With its replacement started only after the turn (direct-warm-alone against direct-warm, paired within rounds), a pre-spawned CLI's first token comes ` +
          `${fixed(-pairedDiff("direct-warm-alone", "direct-warm", (x) => x.ttftMs), 1)} ms sooner (median): what the start-up competing for the ${machine.cores} cores costs.`
        : ""),
  );
  lines.push("");
  if (options.direct) {
    const ttft = (x: Sample) => x.ttftMs;
    const up = (x: Sample) => x.upstreamMs;
    const init = (x: Sample) => x.relayTurnStartMs ?? x.initMs;
    lines.push("Paired within rounds (median of the per-round differences, ms):");
    lines.push("");
    lines.push("| difference | TTFT | to the upstream request | to the turn start |");
    lines.push("|---|---:|---:|---:|");
    const row = (label: string, a: Variant, b: Variant) =>
      lines.push(`| ${label} | ${fixed(pairedDiff(a, b, ttft), 1)} | ${fixed(pairedDiff(a, b, up), 1)} | ${fixed(pairedDiff(a, b, init), 1)} |`);
    row("relay, pooled − direct, pre-spawned CLI: the relay's own cost on the pooled path", "relay-pooled", "direct-warm");
    row("relay, continued − direct, 2nd turn: the relay's own cost on the continued path", "relay-continued", "direct-continued");
    row("relay, cold − cold `claude -p`: the relay's flags and stdin turn against a plain `-p`", "relay-cold", "cold-p");
    row("direct, pre-spawned CLI − direct, 2nd turn: the CLI's first turn in a process against a later one", "direct-warm", "direct-continued");
    lines.push("");
  }
  lines.push("### Memory (RSS) at idle");
  lines.push("");
  const median = (values: number[]) => percentile(values, 50);
  const warmRss = median(memory.warmCli.map((m) => m.rss));
  const warmPss = median(memory.warmCli.map((m) => m.pss));
  const liveRss = median(memory.liveCli.map((m) => m.rss));
  const livePss = median(memory.liveCli.map((m) => m.pss));
  lines.push("| process | RSS | PSS |");
  lines.push("|---|---:|---:|");
  lines.push(`| cold relay alone (\`--warm-processes 0\`, no CLI at idle) | ${mb(memory.coldRelay?.rss)} | ${mb(memory.coldRelay?.pss)} |`);
  lines.push(`| pooled relay process alone | ${mb(memory.warmRelay?.rss)} | ${mb(memory.warmRelay?.pss)} |`);
  lines.push(`| each idle warm CLI (median of ${memory.warmCli.length}) | ${mb(warmRss)} | ${mb(warmPss)} |`);
  lines.push(`| each idle live-conversation CLI, after 2 turns (median of ${memory.liveCli.length}) | ${mb(liveRss)} | ${mb(livePss)} |`);
  lines.push(
    `| **pooled relay + its ${memory.health.warm_processes} warm + ${memory.health.live_conversations} live CLIs** (${memory.warmTree.processes} processes) | **${mb(memory.warmTree.rss)}** | **${mb(memory.warmTree.pss)}** |`,
  );
  lines.push(`| a cold \`claude -p\`, peak (VmHWM at its result line, median) | ${mb(summary["cold-p"].peakRss.median)} | – |`);
  lines.push("");
  lines.push(
    "RSS counts the CLI's executable pages (shared between CLI processes) in every process; PSS splits shared pages between the processes mapping them, so PSS sums add up to the real footprint. " +
      `Processes per idle CLI (the CLI and its descendants): ${[...new Set([...memory.warmCli, ...memory.liveCli].map((m) => m.processes))].join(", ")}. Relay peaks (VmHWM): cold ${mb(memory.coldRelay?.hwm)}, pooled ${mb(memory.warmRelay?.hwm)}. ` +
      `CPU at idle over ${memory.idleCpu.seconds} s: pooled relay and its CLIs ${fixed(memory.idleCpu.warmCores * 100, 1)}% of a core, cold relay ${fixed(memory.idleCpu.coldCores * 100, 1)}%.`,
  );
  lines.push("");
  lines.push("### Noise");
  lines.push("");
  lines.push(
    `Other load per kept round (cores used by everything outside the benchmark's process tree): median ${fixed(median(kept.map((r) => r.otherCores)))}, max ${fixed(Math.max(...kept.map((r) => r.otherCores)))}; ` +
      `steal ${fixed(median(kept.map((r) => r.stealCores)))}. Rounds thrown away: ${discarded}. Requests started before the relays were idle (20 s timeout) or every CLI quiet (15 s timeout): ${notQuiet}. ` +
      `Failures: ${input.failures}${input.failureExamples.length ? ` (${input.failureExamples.slice(0, 3).map((e) => `\`${e.slice(0, 160)}\``).join("; ")})` : ""}. ` +
      `Relay warnings: ${input.relayProblems.length ? input.relayProblems.slice(0, 3).map((line) => `\`${line.slice(0, 160)}\``).join("; ") : "none"}.`,
  );
  lines.push("");
  return { markdown: lines.join("\n"), summary: { ...summary, ratios: { pooled: ratio("relay-pooled"), continued: ratio("relay-continued") }, paired, met: { pooled: pooledMet, continued: continuedMet } } };
}

await main();
