/**
 * The inspector's costs, in one run:
 *   1. capture on (--inspector-capture all) against capture off (none): two relays side by side on the fake
 *      CLI path, two on an HTTP backend with an instant fake OpenAI upstream (the relay's own cost: CPU-bound at
 *      c=8) and two on the same path with a model-like upstream (answers start --model-latency-ms after the
 *      request), interleaved rounds, added p50 at c=1, throughput ratio at c=8 and the relay's CPU per request;
 *   2. storage of a 200-turn Claude Code conversation with content addressing against a naive log (each
 *      request's body stored whole), next to the largest single request;
 *   3. list and filter latency on a request log of 1,000,000 rows (SQLite, built here).
 *
 *   node_modules/.bin/bun bench/inspector.ts [--requests N] [--rounds N] [--rows N] [--model-latency-ms N]
 *     [--skip capture-cli,capture-http,capture-http-model,storage,list] [--results bench/INSPECTOR-RESULTS.md]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closedLoop } from "./lib/closed-loop.ts";
import { relayRequest } from "./lib/relay-client.ts";
import { startRelayProcess, type RelayProcess } from "./lib/relay-process.ts";
import { percentile } from "./lib/stats.ts";
import { processCpu, threadCpu } from "./lib/cpu.ts";
import { InspectorStore } from "../src/store/inspector-store.ts";
import { SqliteDatabase } from "../src/store/sqlite-database.ts";
import type { InspectorEntry } from "../src/inspector/inspector-record.ts";
import { startFakeServerProcess } from "./lib/fake-server-process.ts";
import { inspectorListCases, timeListCase } from "./lib/inspector-list-cases.ts";
import { openInspectorRows } from "./lib/inspector-million-rows.ts";

const projectRoot = resolve(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    rows: { type: "string", default: "1000000" },
    results: { type: "string", default: join(import.meta.dir, "INSPECTOR-RESULTS.md") },
    skip: { type: "string", default: "" },
    /** The model-like upstream's time to first token. */
    "model-latency-ms": { type: "string", default: "100" },
    /** Build the table here and keep it; an existing file with rows is queried without rebuilding. */
    database: { type: "string" },
  },
});
const requestsPerRound = Number(values.requests);
const rounds = Number(values.rounds);
const modelLatencyMs = Number(values["model-latency-ms"]);
const rowCount = Number(values.rows);
const skip = new Set(values.skip!.split(",").filter(Boolean));
const home = mkdtempSync(join(os.tmpdir(), "agent-relay-inspector-bench-"));
const lines: string[] = [`# Inspector benchmark`, "", `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}.`, `Command: \`node_modules/.bin/bun bench/inspector.ts ${process.argv.slice(2).join(" ")}\``, ""];
const loadAverage = () => os.loadavg().map((value) => value.toFixed(1)).join(", ");
const say = (line = "") => {
  lines.push(line);
  console.log(line);
};

// ------------------------------------------------------------------------------------------ 1. capture on/off
interface CapturePath {
  name: string;
  description: string;
  /** Relay arguments besides the port, data directory and capture mode. */
  args: string[];
  model: string;
  /** Requests per mode and round at c=1 (c=8 sends twice as many); the benchmark's --requests by default. */
  requests?: number;
}

async function captureOnOff(path: CapturePath) {
  const requests = path.requests ?? requestsPerRound;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" };
  const start = (capture: string) =>
    startRelayProcess({
      bun: process.execPath,
      cliPath: join(projectRoot, "src", "cli.ts"),
      cwd: projectRoot,
      env,
      args: ["--host", "127.0.0.1", "--port", "0", ...path.args, "--data-dir", join(home, `data-${path.name}-${capture}`), "--log-level", "info", "--inspector-capture", capture],
    });
  const loadBefore = loadAverage();
  const relays: Record<string, RelayProcess> = { none: await start("none"), all: await start("all") };
  const body = { model: path.model, messages: [{ role: "system", content: "You are terse. ".repeat(200) }, { role: "user", content: "Say hello." }] };
  const samples: Record<string, Record<number, number[]>> = { none: { 1: [], 8: [] }, all: { 1: [], 8: [] } };
  const throughput: Record<string, Record<number, number[]>> = { none: { 1: [], 8: [] }, all: { 1: [], 8: [] } };
  /** The relay process's own CPU (not its children's), ms per request: robust to other load on the machine. */
  const cpu: Record<string, { ms: number; threads: Record<string, number>; requests: number }> = { none: { ms: 0, threads: {}, requests: 0 }, all: { ms: 0, threads: {}, requests: 0 } };
  let failures = 0;
  let firstFailure = "";
  try {
    for (const mode of ["none", "all"]) await closedLoop(30, 4, () => relayRequest(relays[mode].url, body, true));
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of [1, 8]) {
        const order = round % 2 === 0 ? ["none", "all"] : ["all", "none"];
        for (const mode of order) {
          const total = concurrency === 1 ? requests : requests * 2;
          const cpuBefore = processCpu(relays[mode].pid).self;
          const threadsBefore = threadCpu(relays[mode].pid);
          const { samples: results, wallMs } = await closedLoop(total, concurrency, () => relayRequest(relays[mode].url, body, true));
          // The writer runs after the answers; let it finish so its CPU counts for this round.
          await Bun.sleep(300);
          cpu[mode].ms += processCpu(relays[mode].pid).self - cpuBefore;
          for (const [name, ms] of Object.entries(threadCpu(relays[mode].pid))) {
            const group = threadGroup(name);
            cpu[mode].threads[group] = (cpu[mode].threads[group] ?? 0) + ms - (threadsBefore[name] ?? 0);
          }
          cpu[mode].requests += total;
          const failed = results.filter((result) => !result.ok);
          failures += failed.length;
          firstFailure ||= failed[0]?.error ?? "";
          samples[mode][concurrency].push(...results.map((result) => result.totalMs));
          throughput[mode][concurrency].push((total / wallMs) * 1000);
        }
      }
    }
  } finally {
    for (const relay of Object.values(relays)) await relay.stop();
  }
  const median = (list: number[]) => percentile(list, 50);
  const p50 = (mode: string, concurrency: number) => median(samples[mode][concurrency]);
  const rate = (mode: string, concurrency: number) => median(throughput[mode][concurrency]);
  const cpuPerRequest = (mode: string) => cpu[mode].ms / cpu[mode].requests;
  const groupPerRequest = (mode: string, group: string) => (cpu[mode].threads[group] ?? 0) / cpu[mode].requests;
  const listedGroups = ["main", "writer", "JIT", "GC and allocator"];
  const otherPerRequest = (mode: string) => cpuPerRequest(mode) - listedGroups.reduce((sum, group) => sum + groupPerRequest(mode, group), 0);
  say(`### ${path.description}`);
  say();
  say(`${rounds} interleaved rounds of ${requests} (c=1) and ${requests * 2} (c=8) streaming chat completions per mode, 3 KB system prompt. Failures: ${failures}${firstFailure ? ` (first: ${firstFailure})` : ""}. Load average before the run: ${loadBefore}.`);
  say();
  say("| concurrency | p50 capture off | p50 capture all | added p50 | throughput off | throughput all | all ÷ off |");
  say("|---:|---:|---:|---:|---:|---:|---:|");
  for (const concurrency of [1, 8]) {
    say(`| ${concurrency} | ${p50("none", concurrency).toFixed(2)} ms | ${p50("all", concurrency).toFixed(2)} ms | ${(p50("all", concurrency) - p50("none", concurrency)).toFixed(2)} ms | ${rate("none", concurrency).toFixed(1)}/s | ${rate("all", concurrency).toFixed(1)}/s | ${((rate("all", concurrency) / rate("none", concurrency)) * 100).toFixed(1)}% |`);
  }
  say();
  say(`Relay process CPU per request (all rounds, writer included): capture off ${cpuPerRequest("none").toFixed(2)} ms, capture all ${cpuPerRequest("all").toFixed(2)} ms (+${(cpuPerRequest("all") - cpuPerRequest("none")).toFixed(2)} ms). By thread (from /proc), capture off → all:`);
  say();
  say("| thread | capture off | capture all | added |");
  say("|---|---:|---:|---:|");
  const row = (label: string, perRequest: (mode: string) => number) =>
    say(`| ${label} | ${perRequest("none").toFixed(3)} ms | ${perRequest("all").toFixed(3)} ms | ${(perRequest("all") - perRequest("none")).toFixed(3)} ms |`);
  row("main (requests, building entries)", (mode) => groupPerRequest(mode, "main"));
  row("inspector writer (Worker)", (mode) => groupPerRequest(mode, "writer"));
  row("JIT compiler threads", (mode) => groupPerRequest(mode, "JIT"));
  row("GC helpers and allocator", (mode) => groupPerRequest(mode, "GC and allocator"));
  row("other (HTTP client, ended threads)", otherPerRequest);
  say();
}

/** The relay's threads by what they do (Bun's thread names as /proc shows them). */
function threadGroup(name: string): string {
  if (name === "main") return "main";
  if (name === "Worker") return "writer";
  if (name.startsWith("JIT") || name === "JSCWarmUp") return "JIT";
  if (name === "HeapHelper" || name.startsWith("mi-")) return "GC and allocator";
  return "other";
}

async function capturePaths() {
  say("## 1. Capture on against capture off");
  say();
  say("Two relays per path, one with `--inspector-capture none`, one with `all` (the default), measured in the same run in interleaved rounds (the order alternates each round), so load from other work hits both alike.");
  say();
  if (!skip.has("capture-cli")) await captureOnOff({
    name: "cli",
    description: "Fake CLI path (a process spawned per request)",
    args: ["--claude-bin", join(projectRoot, "test", "support", "fake-claude.sh"), "--warm-processes", "0", "--conversation-idle-timeout", "0", "--max-concurrent", "16", "--max-processes", "32", "--no-recycle"],
    model: "sonnet",
  });
  save();
  if (!skip.has("capture-http")) await httpCaptureOnOff({ name: "http", description: "HTTP backend path (OpenAI-compatible fake upstream, bench/lib/fake-openai-server.ts)" });
  save();
  // The same path with an upstream that answers like a model: the relay is no longer the bottleneck, which is
  // what a relay in front of a real model sees.
  if (!skip.has("capture-http-model")) {
    await httpCaptureOnOff({
      name: "http-model",
      description: `HTTP backend path, model-like upstream (each answer starts ${modelLatencyMs} ms after the request)`,
      upstreamEnv: { BENCH_LATENCY_MS: String(modelLatencyMs) },
      requests: Math.max(20, Math.round(requestsPerRound / 3)),
    });
  }
}

/** Capture on against off with an OpenAI-compatible provider: the fake upstream in its own process. */
async function httpCaptureOnOff(path: { name: string; description: string; upstreamEnv?: Record<string, string>; requests?: number }) {
  const upstream = await startFakeServerProcess("fake-openai-server.ts", path.upstreamEnv);
  try {
    const configPath = join(home, `${path.name}-config.yaml`);
    writeFileSync(configPath, `providers:\n  fake:\n    type: openai\n    base_url: ${upstream.url}\n    api_key: sk-fake\nmodels:\n  "claude-*": fake/gpt-test\ndefault: fake/gpt-test\n`);
    await captureOnOff({ ...path, args: ["--config", configPath, "--warm-processes", "0"], model: "claude-sonnet-5" });
  } finally {
    upstream.stop();
  }
}

// ------------------------------------------------------------------------------------------ 2. storage size
/** A Claude Code-shaped conversation: a 15 KB system prompt, 30 tools, each turn a tool call and its result. */
function claudeCodeBody(turns: number) {
  const system = [
    { type: "text", text: `x-anthropic-billing-header: cc_version=2.1.197.${(turns * 7919).toString(16).slice(-3)};` },
    { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." },
    { type: "text", text: "Follow the instructions carefully. ".repeat(430), cache_control: { type: "ephemeral" } },
  ];
  const tools = Array.from({ length: 30 }, (_, index) => ({ name: `Tool${index}`, description: "A tool that does a specific thing well. ".repeat(20), input_schema: { type: "object", properties: { path: { type: "string" }, content: { type: "string" } } } }));
  const messages: any[] = [{ role: "user", content: [{ type: "text", text: "<system-reminder>context</system-reminder>" }, { type: "text", text: "Refactor the parser module." }] }];
  for (let turn = 1; turn < turns; turn++) {
    messages.push({ role: "assistant", content: [{ type: "text", text: `Step ${turn}: reading the next file.` }, { type: "tool_use", id: `toolu_${turn}`, name: "Tool1", input: { path: `src/file-${turn}.ts` } }] });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${turn}`, content: `export const value${turn} = ${turn};\n`.repeat(40) }] });
  }
  messages.at(-1).content.at(-1).cache_control = { type: "ephemeral" };
  return { model: "claude-opus-4-8", max_tokens: 64000, stream: true, system, tools, messages };
}

async function storageSize() {
  const entry = (id: string, body: unknown): InspectorEntry => ({
    summary: { id, startedAt: Date.now(), durationMs: 1000, ttftMs: 300, protocol: "anthropic-messages", method: "POST", path: "/v1/messages", stream: true, status: 200, errorKind: null, errorMessage: null, requestedModel: "opus", responseModel: "claude-opus-4-8", provider: "claude", providerModel: null, servedPath: "live", clientKeyHash: null, userAgent: "claude-cli/2.1.197", remoteAddress: "127.0.0.1", sessionId: "bench-session", agentId: null, parentAgentId: null, conversationId: null, responseId: null, previousResponseId: null, usage: null, stopReason: "tool_use", toolNames: "Tool1", agentToolNames: null, preview: "Refactor the parser module." },
    details: { warnings: [], headers: {} },
    bodies: { request: body, response: { content: [{ type: "text", text: "ok" }] }, events: [] },
  });
  const addressedPath = join(home, "addressed.sqlite");
  const store = new InspectorStore(SqliteDatabase.open(addressedPath));
  const naive = new Database(join(home, "naive.sqlite"), { create: true });
  naive.run("CREATE TABLE log (id TEXT PRIMARY KEY, request_json TEXT, response_json TEXT)");
  const insert = naive.prepare("INSERT INTO log VALUES (?, ?, ?)");
  let largest = 0;
  let rawTotal = 0;
  const started = performance.now();
  for (let turns = 1; turns <= 200; turns++) {
    const body = claudeCodeBody(turns);
    const text = JSON.stringify(body);
    largest = Math.max(largest, text.length);
    rawTotal += text.length;
    await store.write([entry(`req_${turns}`, body)]);
    insert.run(`req_${turns}`, text, JSON.stringify({ content: [{ type: "text", text: "ok" }] }));
  }
  const writeMs = performance.now() - started;
  const addressed = await store.database.sizeBytes();
  naive.run("PRAGMA wal_checkpoint(TRUNCATE)");
  naive.close();
  const naiveBytes = statSync(join(home, "naive.sqlite")).size;
  const readStarted = performance.now();
  const view = await store.get("req_200");
  const readMs = performance.now() - readStarted;
  if (JSON.stringify(view?.bodies?.request) !== JSON.stringify(claudeCodeBody(200))) throw new Error("the 200th request did not read back as sent");
  await store.database.close();
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`;
  say("## 2. Storage of a 200-turn Claude Code conversation");
  say();
  say("Each request repeats a 15 KB system prompt (with Claude Code's per-request billing line), 30 tool definitions (25 KB) and the whole conversation so far; `cache_control` moves to the newest message every turn.");
  say();
  say("| | size | ÷ largest request |");
  say("|---|---:|---:|");
  say(`| largest single request | ${mb(largest)} | 1.0 |`);
  say(`| sum of all 200 request bodies | ${mb(rawTotal)} | ${(rawTotal / largest).toFixed(1)} |`);
  say(`| naive log (SQLite, one row per request body) | ${mb(naiveBytes)} | ${(naiveBytes / largest).toFixed(1)} |`);
  say(`| **content-addressed log (the relay's, SQLite file incl. indexes and metadata)** | **${mb(addressed)}** | **${(addressed / largest).toFixed(1)}** (target ≤ 3) |`);
  say();
  say(`Writing the 200 requests took ${writeMs.toFixed(0)} ms (${(writeMs / 200).toFixed(1)} ms each, on the writer, off the request path); reading the 200th back whole took ${readMs.toFixed(1)} ms.`);
  say();
}

// ------------------------------------------------------------------------------------------ 3. 1M rows
async function listLatency() {
  const file = openInspectorRows(values.database ?? join(home, "million.sqlite"), rowCount);
  const store = new InspectorStore(file.database);
  say(`## 3. List and filter latency at ${rowCount.toLocaleString("en-US")} rows`);
  say();
  say(`SQLite file of ${(file.sizeBytes / 1048576).toFixed(0)} MB ${file.buildMs === null ? "(built before)" : `built in ${(file.buildMs / 1000).toFixed(0)} s through the store's schema`}; each query run 20 times after one warm-up, through the relay's InspectorStore (what the API calls). Load average before: ${loadAverage()}. Free text on the trigram index alone against the word index first: \`bench/inspector-text-search.ts\`.`);
  say();
  say("| query | p50 | p95 |");
  say("|---|---:|---:|");
  for (const listCase of await inspectorListCases(store, rowCount)) {
    const times = await timeListCase(store, listCase, 20);
    say(`| ${listCase.name} | ${percentile(times, 50).toFixed(2)} ms | ${percentile(times, 95).toFixed(2)} ms |`);
  }
  say();
  await file.database.close();
}

// The results file is rewritten after each part, so a run cut short keeps what it measured.
function save() {
  if (values.results) writeFileSync(values.results, `${lines.join("\n")}\n`);
}
try {
  if (!skip.has("capture")) await capturePaths();
  save();
  if (!skip.has("storage")) await storageSize();
  save();
  if (!skip.has("list")) await listLatency();
  save();
} finally {
  rmSync(home, { recursive: true, force: true });
}
