/**
 * Where the relay's added time goes: the same request through successively more of the relay, all in this
 * one process (no sockets), with the fast fake CLI, interleaved in rounds.
 *
 *   node_modules/.bin/bun bench/profile.ts [--requests 300] [--rounds 3] [--concurrency 1,8]
 *
 * Layers:
 *   bare           Bun.spawn + the two stdin lines + read to `result` + close stdin + wait for exit (as bench/run.ts)
 *   process        the relay's ClaudeProcess: spawn, send, readLines to `result`, finish(), kill()
 *   backend        ClaudeBackend.stream() folded (limiter, mkdir, invocation, mapper); cleanup off the path
 *   app            app.handle(POST /v1/chat/completions) non-streaming, JSON body read (Elysia, validation,
 *                  parse, render, metrics, one info log line JSON-encoded into a no-op sink)
 *   app-silent     the same with a logger that drops everything
 *   app-stream     app.handle with stream: true, SSE body read to the end
 * The HTTP server and client are not in these layers; bench/run.ts measures them with a separate relay process.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { createApp } from "../src/app.ts";
import { ClaudeBackend } from "../src/backends/claude/claude-backend.ts";
import { ClaudeProcess, ClaudeProcessRegistry } from "../src/backends/claude/claude-process.ts";
import { parseCommand } from "../src/config.ts";
import { foldRelayEvents } from "../src/core/fold-relay-events.ts";
import { parseOpenAIChatRequest } from "../src/protocols/openai-chat/parse-request.ts";
import { RelayMetrics } from "../src/server/metrics.ts";
import { createLogger, silentLogger, type Logger } from "../src/util/logger.ts";
import { bareInvocationFor, bareRequest } from "./lib/bare-spawn.ts";
import { closedLoop } from "./lib/closed-loop.ts";
import { fixed, percentile, signed } from "./lib/stats.ts";

const projectRoot = resolve(import.meta.dir, "..");
const fakeClaudeBin = join(projectRoot, "test", "support", "fake-claude.sh");

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}
const requests = Number(option("--requests", "300"));
const rounds = Number(option("--rounds", "3"));
const levels = option("--concurrency", "1,8").split(",").map(Number);

const home = mkdtempSync(join(os.tmpdir(), "agent-relay-profile-"));
const dataDir = join(home, "relay-data");
const workdir = join(dataDir, "workspace");
mkdirSync(workdir, { recursive: true });
const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" };
const body = { model: "sonnet", messages: [{ role: "user", content: "Say hello." }] };
const config = (() => {
  const command = parseCommand(
    ["--port", "0", "--claude-bin", fakeClaudeBin, "--data-dir", dataDir, "--workdir", workdir, "--max-concurrent", "64", "--max-processes", "128", "--max-queue", "1024", "--warm-processes", "0", "--conversation-idle-timeout", "0", "--no-recycle"],
    {},
  );
  if (command.kind !== "serve") throw new Error("unexpected command");
  return command.config;
})();
const settings = { cliMaxRetries: config.cliMaxRetries, agent: false, permissionMode: config.permissionMode, relayAddress: { host: "127.0.0.1", port: 1 } };
const invocation = bareInvocationFor({ body: body as any, binary: fakeClaudeBin, cwd: workdir, env, settings });

/**
 * Mirrors the wiring of startRelay() in src/cli.ts without listening. The backend options are the config's
 * fields of the same names, so this keeps working as options are added there.
 */
function makeBackend(log: Logger, metrics?: RelayMetrics) {
  const options = {
    ...config,
    relayAddress: { host: config.host, port: 1 },
    env,
    log,
    toolRounds: (metrics as { toolRoundObserver?: () => unknown } | undefined)?.toolRoundObserver?.(),
  };
  return new ClaudeBackend(options as unknown as ConstructorParameters<typeof ClaudeBackend>[0]);
}

async function startBackend(backend: ClaudeBackend) {
  const started = backend as unknown as { start?: () => Promise<unknown>; probe?: () => Promise<unknown> };
  await (started.start ? started.start() : started.probe?.());
}

async function makeApp(log: Logger) {
  let backend: ClaudeBackend | undefined;
  // Every live gauge reads the backend's load, whatever gauges the metrics have: newer versions call it,
  // older ones (--at-commit) read one function per count from it.
  const load = () => backend?.load() ?? { active: 0, queued: 0 };
  const live = new Proxy(load, {
    get: (_, key) => () => {
      const current = load() as unknown as { details?: Record<string, number> } & Record<string, unknown>;
      const value = current[String(key)] ?? current.details?.[String(key)];
      return typeof value === "number" ? value : 0;
    },
  });
  const metrics = new RelayMetrics(live as ConstructorParameters<typeof RelayMetrics>[0]);
  backend = makeBackend(log, metrics);
  await startBackend(backend);
  const app = createApp({ config, backend, metrics, log, version: "bench", startedAt: new Date(), disableIdleTimeout: () => {} });
  return { app, backend };
}

// One info line per request is what the relay logs by default; encode it as the relay would, then drop it.
const encodingLogger = createLogger({ level: "info", write: () => {} });
const backendOnly = makeBackend(silentLogger);
await startBackend(backendOnly);
const logged = await makeApp(encodingLogger);
const silent = await makeApp(silentLogger);
const registry = new ClaudeProcessRegistry();

async function viaApp(app: { handle(request: Request): Promise<Response> }, stream: boolean): Promise<number> {
  const start = performance.now();
  const response = await app.handle(
    new Request("http://127.0.0.1:18082/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...body, stream }),
    }),
  );
  const text = await response.text();
  if (response.status !== 200 || !text.includes(stream ? "[DONE]" : "Hello from the fake CLI")) throw new Error(`app answered ${response.status}: ${text.slice(0, 200)}`);
  return performance.now() - start;
}

type Layer = { name: string; run: () => Promise<number>; idle?: () => Promise<void> };

async function waitIdle(backend: ClaudeBackend) {
  // Older versions (--at-commit) report processes at the top level, newer ones in details.
  const processes = () => {
    const load = backend.load() as unknown as { processes?: number; details?: Record<string, number> };
    return load.details?.cli_processes ?? load.processes ?? 0;
  };
  while (backend.load().active > 0 || processes() > 0) await Bun.sleep(1);
}

const layers: Layer[] = [
  {
    name: "bare",
    run: async () => {
      const sample = await bareRequest(invocation);
      if (!sample.ok) throw new Error(sample.error);
      return sample.totalMs;
    },
  },
  {
    name: "process",
    run: async () => {
      const start = performance.now();
      const child = ClaudeProcess.spawn({ binary: fakeClaudeBin, args: invocation.args, env: invocation.env, cwd: workdir }, registry);
      child.send(invocation.initialize);
      child.send(invocation.userMessage);
      let result = false;
      for await (const line of child.readLines()) {
        if (line.kind === "json" && (line.value as { type?: string }).type === "result") {
          result = true;
          break;
        }
      }
      if (!result) throw new Error("no result line");
      await child.finish(config.killGraceMs);
      child.kill();
      return performance.now() - start;
    },
  },
  {
    name: "backend",
    run: async () => {
      const start = performance.now();
      const { relayRequest } = parseOpenAIChatRequest(body as any);
      const response = await foldRelayEvents(backendOnly.stream(relayRequest, { signal: new AbortController().signal, requestId: "bench", log: silentLogger, clientKey: "bench" }));
      if (!JSON.stringify(response).includes("Hello from the fake CLI")) throw new Error("wrong answer");
      return performance.now() - start;
    },
    idle: () => waitIdle(backendOnly),
  },
  { name: "app", run: () => viaApp(logged.app, false), idle: () => waitIdle(logged.backend) },
  { name: "app-silent", run: () => viaApp(silent.app, false), idle: () => waitIdle(silent.backend) },
  { name: "app-stream", run: () => viaApp(logged.app, true), idle: () => waitIdle(logged.backend) },
];

function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

console.log(`profile: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Linux ${os.release()}, Bun ${Bun.version}; ${requests} requests per layer and level in ${rounds} rounds`);
for (const c of levels) {
  const results = new Map<string, { times: number[]; wallMs: number; n: number; selfUs: number; childMs: number }>();
  for (const layer of layers) {
    results.set(layer.name, { times: [], wallMs: 0, n: 0, selfUs: 0, childMs: 0 });
    await closedLoop(Math.max(20, 2 * c), c, layer.run);
    await layer.idle?.();
  }
  for (let round = 0; round < rounds; round++) {
    const order = layers.map((_, index) => layers[(index + round) % layers.length]);
    for (const layer of order) {
      const n = Math.round((requests * Math.max(1, c / 4)) / rounds);
      const cpuBefore = process.cpuUsage();
      const childBefore = childrenCpuMs();
      const { samples, wallMs } = await closedLoop(n, c, layer.run);
      await layer.idle?.();
      const cpu = process.cpuUsage(cpuBefore);
      const entry = results.get(layer.name)!;
      entry.times.push(...samples);
      entry.wallMs += wallMs;
      entry.n += n;
      entry.selfUs += cpu.user + cpu.system;
      entry.childMs += childrenCpuMs() - childBefore;
    }
  }
  console.log(`\n### c=${c}\n`);
  console.log("| layer | p50 ms | p90 ms | p50 vs bare | p50 vs previous | req/s | CPU in this process, ms/req | CPU of CLI processes, ms/req |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  let previous: number | undefined;
  const bare = percentile(results.get("bare")!.times, 50);
  for (const layer of layers) {
    const entry = results.get(layer.name)!;
    const p50 = percentile(entry.times, 50);
    console.log(
      `| ${layer.name} | ${fixed(p50)} | ${fixed(percentile(entry.times, 90))} | ${signed(p50 - bare)} | ${previous === undefined ? "" : signed(p50 - previous)} | ` +
        `${fixed((entry.n / entry.wallMs) * 1000, 0)} | ${fixed(entry.selfUs / 1000 / entry.n)} | ${fixed(entry.childMs / entry.n)} |`,
    );
    previous = p50;
  }
}
rmSync(home, { recursive: true, force: true });
