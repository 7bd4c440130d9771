/**
 * The openai backend's overhead: the same fake OpenAI-compatible upstream called directly, through the
 * relay (OpenAI Chat Completions clients passed through and, with `passthrough: false`, translated; Anthropic
 * Messages clients, always translated), and through claude-code-router 2.0.0
 * (Anthropic Messages, its only client protocol), in one run, side by side.
 *
 *   node_modules/.bin/bun bench/openai-upstream.ts [--requests N] [--long-runs N] [--no-ccr]
 *
 * Two upstreams, each the project's fake in its own process:
 *   - instant: answers at once and streams at line speed. What is left is the relay's own cost (CPU and
 *     an extra loopback hop): non-streaming latency at c=1 and throughput at c=8 and c=64; streaming time
 *     to first token at c=1 and throughput at c=8 and c=64; a 20,000-token stream; CPU per request.
 *   - model-like: every answer starts --model-latency-ms after the request (default 100 ms, less than the
 *     time to first token of any hosted model) and the long answer is paced at --model-tokens-per-second
 *     (default 5,000, faster than the fastest hosted inference). This is what a user of a real upstream
 *     sees: throughput at c=64 and the 20,000-token stream.
 * Peak RSS of each proxy. The targets are interleaved within each row (the order rotates) so drift on a
 * shared machine is spread.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { timedRequest, type ClientProtocol, type TimedSample } from "./lib/bench-clients.ts";
import { closedLoop } from "./lib/closed-loop.ts";
import { startFakeServerProcess } from "./lib/fake-server-process.ts";
import { freePort, startRelayProcess } from "./lib/relay-process.ts";
import { processCpu } from "./lib/cpu.ts";
import { processMemory } from "./lib/rss.ts";
import { fixed, percentile } from "./lib/stats.ts";

const projectRoot = resolve(import.meta.dir, "..");
const bun = process.execPath;
const ccrVersion = "2.0.0";
const shortMarker = "Hello from";
const longMarker = "tok ";

interface Options {
  requests: number;
  longRuns: number;
  ccr: boolean;
  modelLatencyMs: number;
  modelTokensPerSecond: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { requests: 400, longRuns: 3, ccr: true, modelLatencyMs: 100, modelTokensPerSecond: 5_000 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === "--requests") options.requests = Number(argv[++index]);
    else if (flag === "--long-runs") options.longRuns = Number(argv[++index]);
    else if (flag === "--no-ccr") options.ccr = false;
    else if (flag === "--model-latency-ms") options.modelLatencyMs = Number(argv[++index]);
    else if (flag === "--model-tokens-per-second") options.modelTokensPerSecond = Number(argv[++index]);
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

interface Target {
  name: string;
  protocol: ClientProtocol;
  url: string;
  pid?: number;
}

const startFakeUpstream = (env: Record<string, string> = {}) => startFakeServerProcess("fake-openai-server.ts", env);

/** claude-code-router installed with npm into a temporary folder and configured against the fake. */
async function startClaudeCodeRouter(work: string, upstreamUrl: string, modelLikeUrl: string): Promise<{ url: string; pid: number; stop(): void }> {
  const prefix = join(work, "ccr");
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, "package.json"), JSON.stringify({ private: true }));
  const install = Bun.spawnSync(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", `@musistudio/claude-code-router@${ccrVersion}`], { cwd: prefix, stdout: "pipe", stderr: "pipe" });
  if (install.exitCode !== 0) throw new Error(`npm install of claude-code-router failed: ${install.stderr.toString().slice(0, 500)}`);
  const home = join(work, "ccr-home");
  mkdirSync(join(home, ".claude-code-router"), { recursive: true });
  const port = freePort();
  const config = {
    LOG: false,
    HOST: "127.0.0.1",
    PORT: port,
    Providers: [
      { name: "fake", api_base_url: `${upstreamUrl}/chat/completions`, api_key: "sk-fake", models: ["gpt-test", "bench-long"] },
      { name: "model", api_base_url: `${modelLikeUrl}/chat/completions`, api_key: "sk-fake", models: ["gpt-test", "bench-long"] },
    ],
    Router: { default: "fake,gpt-test" },
  };
  writeFileSync(join(home, ".claude-code-router", "config.json"), JSON.stringify(config, null, 2));
  const child = Bun.spawn(["node", join(prefix, "node_modules", "@musistudio", "claude-code-router", "dist", "cli.js"), "start"], {
    env: { ...process.env, HOME: home },
    stdout: "ignore",
    stderr: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const up = await fetch(`${url}/`).then(() => true, () => false);
    if (up) return { url, pid: child.pid, stop: () => child.kill("SIGTERM") };
    await Bun.sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error("claude-code-router did not start within 30 s");
}

function modelFor(target: Target, long: boolean, modelLike: boolean): string {
  // claude-code-router routes every model to Router.default; the others are asked for as "provider,model".
  if (target.name === "claude-code-router") return modelLike ? (long ? "model,bench-long" : "model,gpt-test") : long ? "fake,bench-long" : "claude-sonnet-5";
  if (target.name === "direct") return long ? "bench-long" : "gpt-test";
  // The relay: the routing file's route for Claude names, or a namespaced provider/model; "hub" providers
  // are the same upstreams with the passthrough off.
  const provider = modelLike ? "model" : "fake";
  const translated = target.name === "relay (OpenAI chat, translated)";
  if (translated || modelLike) return `${provider}${translated ? "hub" : ""}/${long ? "bench-long" : "gpt-test"}`;
  return long ? "fake/bench-long" : "claude-sonnet-5";
}

interface RowResult {
  samples: TimedSample[];
  wallMs: number;
  /** CPU time of the proxy process (the fake upstream's for direct) per request, ms: robust to a busy machine. */
  cpuPerRequestMs?: number;
}

async function runRow(targets: Target[], rowIndex: number, run: (target: Target) => Promise<RowResult>): Promise<Map<string, RowResult>> {
  const results = new Map<string, RowResult>();
  const order = targets.map((_, index) => targets[(index + rowIndex) % targets.length]!);
  for (const target of order) {
    const before = target.pid === undefined ? undefined : processCpu(target.pid).self;
    const result = await run(target);
    if (before !== undefined) result.cpuPerRequestMs = (processCpu(target.pid!).self - before) / result.samples.length;
    const failures = result.samples.filter((sample) => !sample.ok);
    if (failures.length > 0) process.stderr.write(`  ${target.name}: ${failures.length} failed, e.g. ${failures[0]!.error}\n`);
    results.set(target.name, result);
  }
  return results;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const work = mkdtempSync(join(os.tmpdir(), "agent-relay-bench-openai-"));
  const stops: Array<() => void | Promise<unknown>> = [];
  try {
    const upstream = await startFakeUpstream();
    stops.push(upstream.stop);
    const modelLike = await startFakeUpstream({ BENCH_LATENCY_MS: String(options.modelLatencyMs), BENCH_TOKENS_PER_SECOND: String(options.modelTokensPerSecond) });
    stops.push(modelLike.stop);
    const configPath = join(work, "config.yaml");
    // "fakehub" and "modelhub" are the same upstreams with the passthrough off: OpenAI Chat clients measured both ways.
    const provider = (name: string, url: string, passthrough = true) => `  ${name}:\n    type: openai\n    base_url: ${url}\n    api_key: sk-fake\n${passthrough ? "" : "    passthrough: false\n"}`;
    writeFileSync(
      configPath,
      `providers:\n${provider("fake", upstream.url)}${provider("fakehub", upstream.url, false)}${provider("model", modelLike.url)}${provider("modelhub", modelLike.url, false)}models:\n  "claude-*": fake/gpt-test\ndefault: fake/gpt-test\n`,
    );
    const relay = await startRelayProcess({
      bun,
      cliPath: join(projectRoot, "src", "cli.ts"),
      // warn hides the per-request log line (claude-code-router runs with LOG: false); a fixed port is polled on /health.
      args: ["--port", String(freePort()), "--config", configPath, "--log-level", "warn", "--warm-processes", "0", "--data-dir", join(work, "relay-data")],
      env: { ...process.env, HOME: work },
      cwd: work,
    });
    stops.push(() => relay.stop());
    const targets: Target[] = [
      { name: "direct", protocol: "openai", url: upstream.url.replace(/\/v1$/, ""), pid: upstream.pid },
      { name: "relay (OpenAI chat, passthrough)", protocol: "openai", url: relay.url, pid: relay.pid },
      { name: "relay (OpenAI chat, translated)", protocol: "openai", url: relay.url, pid: relay.pid },
      { name: "relay (Anthropic)", protocol: "anthropic", url: relay.url, pid: relay.pid },
    ];
    if (options.ccr) {
      const ccr = await startClaudeCodeRouter(work, upstream.url, modelLike.url);
      stops.push(ccr.stop);
      targets.push({ name: "claude-code-router", protocol: "anthropic", url: ccr.url, pid: ccr.pid });
    }
    const request = (target: Target, stream: boolean, long = false, modelLikeUpstream = false) => () =>
      timedRequest({
        protocol: target.protocol,
        url: target.name === "direct" && modelLikeUpstream ? modelLike.url.replace(/\/v1$/, "") : target.url,
        model: modelFor(target, long, modelLikeUpstream),
        stream,
        expected: long ? longMarker : shortMarker,
      });

    // Warm-up: connections, JIT, the relay's first /models read.
    for (const target of targets) await closedLoop(50, 8, request(target, false));

    const n = options.requests;
    const rows: Array<{ label: string; metric: (result: RowResult) => number; unit: string; better: "lower" | "higher"; results: Map<string, RowResult> }> = [];
    let rowIndex = 0;
    const latency = (result: RowResult) => percentile(result.samples.filter((s) => s.ok).map((s) => s.totalMs), 50);
    const firstToken = (result: RowResult) => percentile(result.samples.filter((s) => s.ok).map((s) => s.firstTokenMs), 50);
    const throughput = (result: RowResult) => (result.samples.filter((s) => s.ok).length / result.wallMs) * 1000;
    process.stderr.write("non-streaming c=1\n");
    rows.push({ label: "non-streaming p50 latency, c=1", metric: latency, unit: "ms", better: "lower", results: await runRow(targets, rowIndex++, (t) => closedLoop(n, 1, request(t, false))) });
    for (const concurrency of [8, 64]) {
      process.stderr.write(`non-streaming c=${concurrency}\n`);
      rows.push({ label: `non-streaming throughput, c=${concurrency}`, metric: throughput, unit: "req/s", better: "higher", results: await runRow(targets, rowIndex++, (t) => closedLoop(n * 2, concurrency, request(t, false))) });
    }
    process.stderr.write("streaming c=1\n");
    rows.push({ label: "streaming p50 time to first token, c=1", metric: firstToken, unit: "ms", better: "lower", results: await runRow(targets, rowIndex++, (t) => closedLoop(n, 1, request(t, true))) });
    for (const concurrency of [8, 64]) {
      process.stderr.write(`streaming c=${concurrency}\n`);
      rows.push({ label: `streaming throughput, c=${concurrency}`, metric: throughput, unit: "req/s", better: "higher", results: await runRow(targets, rowIndex++, (t) => closedLoop(n * 2, concurrency, request(t, true))) });
    }
    process.stderr.write("20,000-token stream\n");
    rows.push({ label: "20,000-token stream, median total", metric: latency, unit: "ms", better: "lower", results: await runRow(targets, rowIndex++, (t) => closedLoop(options.longRuns, 1, request(t, true, true))) });

    // The model-like upstream: what a user of a real provider notices.
    const modelLabel = `model-like upstream (${options.modelLatencyMs} ms to first token)`;
    for (const target of targets) await closedLoop(20, 8, request(target, false, false, true));
    process.stderr.write("model-like c=1\n");
    rows.push({ label: `${modelLabel}: streaming p50 time to first token, c=1`, metric: firstToken, unit: "ms", better: "lower", results: await runRow(targets, rowIndex++, (t) => closedLoop(Math.min(n, 100), 1, request(t, true, false, true))) });
    for (const stream of [false, true]) {
      process.stderr.write(`model-like c=64 ${stream ? "streaming" : "non-streaming"}\n`);
      rows.push({ label: `${modelLabel}: ${stream ? "streaming" : "non-streaming"} throughput, c=64`, metric: throughput, unit: "req/s", better: "higher", results: await runRow(targets, rowIndex++, (t) => closedLoop(n * 2, 64, request(t, stream, false, true))) });
    }
    process.stderr.write("paced 20,000-token stream\n");
    rows.push({ label: `model-like upstream: 20,000-token stream at ${options.modelTokensPerSecond} tokens/s, median total`, metric: latency, unit: "ms", better: "lower", results: await runRow(targets, rowIndex++, (t) => closedLoop(options.longRuns, 1, request(t, true, true, true))) });

    // The direct column's CPU was measured on the instant fake, which the model-like rows do not use.
    for (const row of rows) if (row.label.startsWith("model-like")) row.results.get("direct")!.cpuPerRequestMs = undefined;
    const memory = new Map<string, number>();
    for (const target of targets) {
      if (target.pid === undefined) continue;
      const measured = await processMemory(target.pid);
      if (measured) memory.set(target.name, measured.hwm);
    }
    printReport(targets, rows, memory, options);
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function printReport(targets: Target[], rows: Array<{ label: string; metric: (result: RowResult) => number; unit: string; better: "lower" | "higher"; results: Map<string, RowResult> }>, memory: Map<string, number>, options: Options) {
  const load = os.loadavg().map((value) => value.toFixed(1)).join(" ");
  const lines: string[] = [];
  lines.push(`${new Date().toISOString()}, ${os.cpus().length} cores, load average ${load}, ${options.requests} requests per c=1 row (x2 for throughput rows), bun ${Bun.version}`);
  lines.push("");
  lines.push(`| row | ${targets.map((target) => target.name).join(" | ")} |`);
  lines.push(`|---|${targets.map(() => "---:").join("|")}|`);
  for (const row of rows) {
    const direct = row.metric(row.results.get("direct")!);
    const cells = targets.map((target) => {
      const value = row.metric(row.results.get(target.name)!);
      if (target.name === "direct") return `${fixed(value, 2)} ${row.unit}`;
      const relative = row.better === "lower" ? `+${fixed(value - direct, 2)} ms` : `${fixed((value / direct) * 100, 0)}%`;
      return `${fixed(value, 2)} ${row.unit} (${relative})`;
    });
    lines.push(`| ${row.label} | ${cells.join(" | ")} |`);
  }
  const rss = targets.map((target) => (target.name !== "direct" && memory.has(target.name) ? `${fixed(memory.get(target.name)! / 1024 / 1024, 0)} MB` : "-"));
  lines.push(`| peak RSS (VmHWM) | ${rss.join(" | ")} |`);
  lines.push("");
  lines.push("CPU time per request of the process in the middle (ms; direct: the fake upstream itself, which every column also pays):");
  lines.push("");
  lines.push(`| row | ${targets.map((target) => target.name).join(" | ")} |`);
  lines.push(`|---|${targets.map(() => "---:").join("|")}|`);
  for (const row of rows) lines.push(`| ${row.label} | ${targets.map((target) => fixed(row.results.get(target.name)!.cpuPerRequestMs ?? Number.NaN, 2)).join(" | ")} |`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
