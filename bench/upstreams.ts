/**
 * The passthrough's cost: Anthropic Messages requests to the fake Anthropic upstream, directly and through
 * the relay (a routing file with one `type: anthropic` provider), side by side in one run:
 *   - added latency at c=1: non-streaming total time and streaming time to first byte (p50, p90);
 *   - throughput at c=1, 8 and 64 (streaming requests per second), relay / direct;
 *   - one 20,000-token stream (20,000 text deltas), relay / direct;
 *   - the relay's peak and final RSS.
 *
 *   bun bench/upstreams.ts [--requests 300] [--seconds 5] [--results bench/UPSTREAMS-RESULTS.md]
 *
 * Two fakes: an instant one (answers at once, streams at line speed: what is left is the relay's own cost)
 * and a model-like one (every answer starts --model-latency-ms after the request, default 100 ms, less
 * than any hosted model's time to first token; long answers paced at --model-tokens-per-second, default
 * 5,000, faster than the fastest hosted inference): throughput at c=64 and the 20,000-token stream as a user
 * of a real upstream sees them.
 *
 * The fake upstreams and the relay each run as their own process; the client runs here. Modes alternate
 * (direct, relay, direct, relay) so drift on a shared machine shows as spread, not as a difference.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { closedLoop } from "./lib/closed-loop.ts";
import { startFakeServerProcess } from "./lib/fake-server-process.ts";
import { processCpu } from "./lib/cpu.ts";
import { startRelayProcess } from "./lib/relay-process.ts";
import { processMemory } from "./lib/rss.ts";
import { percentile } from "./lib/stats.ts";

const projectRoot = resolve(import.meta.dir, "..");
const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const requests = Number(argument("requests", "300"));
const seconds = Number(argument("seconds", "5"));
const resultsPath = argument("results", join(projectRoot, "bench", "UPSTREAMS-RESULTS.md"));
const modelLatencyMs = Number(argument("model-latency-ms", "100"));
const modelTokensPerSecond = Number(argument("model-tokens-per-second", "5000"));
/** Only the latency table (for quick checks of the hot path). */
const latencyOnly = process.argv.includes("--latency-only");
/** Extra relay options, e.g. --relay-args "--inspector-capture none" to see what one part costs. */
const relayArgs = argument("relay-args", "").split(" ").filter(Boolean);

const startFake = (env: Record<string, string> = {}) => startFakeServerProcess("fake-anthropic-server.ts", env);

interface Sample {
  ttfbMs: number;
  totalMs: number;
  bytes: number;
}

async function call(baseUrl: string, model: string, stream: boolean): Promise<Sample> {
  const start = performance.now();
  const response = await fetch(`${baseUrl}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "bench" },
    body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: "user", content: "Say hello." }] }),
  });
  const ttfbMs = performance.now() - start;
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${new TextDecoder().decode(body).slice(0, 300)}`);
  return { ttfbMs, totalMs: performance.now() - start, bytes: body.length };
}

async function throughput(baseUrl: string, model: string, concurrency: number, stream = true): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await call(baseUrl, model, stream);
        done++;
      }
    }),
  );
  return done / seconds;
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

async function main() {
  const fake = await startFake();
  const modelLike = await startFake({ BENCH_LATENCY_MS: String(modelLatencyMs), BENCH_TOKENS_PER_SECOND: String(modelTokensPerSecond) });
  const directory = mkdtempSync(join(os.tmpdir(), "bench-upstreams-"));
  const routingFile = join(directory, "config.yaml");
  writeFileSync(
    routingFile,
    `providers:\n  anthropic:\n    type: anthropic\n    base_url: ${fake.url}\n    api_key: bench-provider-key\n  model:\n    type: anthropic\n    base_url: ${modelLike.url}\n    api_key: bench-provider-key\ndefault: anthropic\n`,
  );
  const relay = await startRelayProcess({
    bun: process.execPath,
    // BENCH_RELAY_BUN_ARGS="--cpu-prof --cpu-prof-dir /tmp/prof" profiles the relay during the run.
    bunArgs: process.env.BENCH_RELAY_BUN_ARGS?.split(" ").filter(Boolean),
    cliPath: join(projectRoot, "src", "cli.ts"),
    args: [...(relayArgs.includes("--port") ? [] : ["--port", "0"]), "--config", routingFile, "--warm-processes", "0", "--log-level", "info", "--data-dir", join(directory, "data"), ...relayArgs],
    env: { ...process.env, HOME: directory },
    cwd: projectRoot,
  });
  // The floor: a bare Bun.serve + fetch forwarder in front of the same fake (bench/lib/bare-proxy-server.ts).
  const bare = await startFakeServerProcess("bare-proxy-server.ts", { UPSTREAM_URL: fake.url });
  const modes = [
    { name: "direct", url: fake.url },
    { name: "relay", url: relay.url },
  ] as const;
  const latencyModes = [...modes, { name: "bare", url: bare.url }] as const;
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  try {
    for (const mode of latencyModes) await closedLoop(100, 8, () => call(mode.url, "claude-bench", true));

    const latency: Record<string, { json: number[]; ttfb: number[] }> = { direct: { json: [], ttfb: [] }, relay: { json: [], ttfb: [] }, bare: { json: [], ttfb: [] } };
    // CPU of the proxy process (utime + stime) while its own rounds ran: less sensitive to a busy machine than latency.
    const proxyPid: Record<string, number> = { relay: relay.pid, bare: bare.pid };
    const proxyCpuMs: Record<string, number> = { relay: 0, bare: 0 };
    for (let round = 0; round < 6; round++) {
      for (const mode of round % 2 === 0 ? latencyModes : [...latencyModes].reverse()) {
        const pid = proxyPid[mode.name];
        const cpuBefore = pid ? processCpu(pid).self : 0;
        for (let index = 0; index < requests / 6; index++) {
          latency[mode.name]!.json.push((await call(mode.url, "claude-bench", false)).totalMs);
          latency[mode.name]!.ttfb.push((await call(mode.url, "claude-bench", true)).ttfbMs);
        }
        if (pid) proxyCpuMs[mode.name]! += processCpu(pid).self - cpuBefore;
      }
    }
    const row = (label: string, direct: number[], relayed: number[], bared: number[]) =>
      `| ${label} | ${fixed(percentile(direct, 50))} | ${fixed(percentile(bared, 50))} | ${fixed(percentile(relayed, 50))} | ${fixed(percentile(bared, 50) - percentile(direct, 50))} | **${fixed(percentile(relayed, 50) - percentile(direct, 50))}** | ${fixed(percentile(relayed, 50) - percentile(bared, 50))} | ${fixed(percentile(direct, 90))} | ${fixed(percentile(relayed, 90))} |`;
    log(`Latency at c=1, ${requests} requests per mode, interleaved in 6 rounds (ms). "Bare Bun proxy": Bun.serve + fetch forwarding the same requests to the same fake and nothing else (bench/lib/bare-proxy-server.ts), the floor for any proxy on Bun.\n`);
    log("| measure | direct p50 | bare Bun proxy p50 | relay p50 | bare added p50 | **relay added p50** | relay − bare | direct p90 | relay p90 |");
    log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    log(row("non-streaming, whole answer", latency.direct!.json, latency.relay!.json, latency.bare!.json));
    log(row("streaming, time to first byte", latency.direct!.ttfb, latency.relay!.ttfb, latency.bare!.ttfb));
    const perRequest = (name: string) => proxyCpuMs[name]! / (latency[name]!.json.length + latency[name]!.ttfb.length);
    log(`\nProxy process CPU per request (user + system, one non-streaming and one streaming request averaged): relay ${fixed(perRequest("relay"))} ms, bare Bun proxy ${fixed(perRequest("bare"))} ms.`);
    if (latencyOnly) return;

    log(`\nThroughput, streaming, ${seconds} s per cell (requests/s)\n`);
    log("| concurrency | direct | relay | relay / direct |");
    log("| ---: | ---: | ---: | ---: |");
    for (const concurrency of [1, 8, 64]) {
      const direct = await throughput(fake.url, "claude-bench", concurrency);
      const relayed = await throughput(relay.url, "claude-bench", concurrency);
      log(`| ${concurrency} | ${fixed(direct, 0)} | ${fixed(relayed, 0)} | ${fixed(relayed / direct)} |`);
    }

    log(`\nModel-like upstream (${modelLatencyMs} ms to first token), throughput at c=64, ${seconds} s per cell (requests/s)\n`);
    log("| answer | direct | relay | relay / direct |");
    log("| --- | ---: | ---: | ---: |");
    await throughput(modelLike.url, "claude-bench", 8);
    await throughput(relay.url, "model/claude-bench", 8);
    for (const stream of [false, true]) {
      const direct = await throughput(modelLike.url, "claude-bench", 64, stream);
      const relayed = await throughput(relay.url, "model/claude-bench", 64, stream);
      log(`| ${stream ? "streaming" : "non-streaming"} | ${fixed(direct, 0)} | ${fixed(relayed, 0)} | ${fixed(relayed / direct)} |`);
    }

    log(`\nOne 20,000-token stream (20,000 text deltas), median of 3 (ms)\n`);
    log("| upstream | direct | relay | relay / direct |");
    log("| --- | ---: | ---: | ---: |");
    for (const upstream of [
      { label: "instant (line speed)", direct: fake.url, model: "claude-long-20000" },
      { label: `model-like (${modelTokensPerSecond} tokens/s)`, direct: modelLike.url, model: "model/claude-long-20000" },
    ]) {
      const long: Record<string, number[]> = { direct: [], relay: [] };
      for (let round = 0; round < 3; round++) {
        for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
          const model = mode.name === "direct" ? upstream.model.replace(/^model\//, "") : upstream.model;
          long[mode.name]!.push((await call(mode.name === "direct" ? upstream.direct : mode.url, model, true)).totalMs);
        }
      }
      const longDirect = percentile(long.direct!, 50);
      const longRelay = percentile(long.relay!, 50);
      log(`| ${upstream.label} | ${fixed(longDirect, 0)} | ${fixed(longRelay, 0)} | ${fixed(longRelay / longDirect)} |`);
    }

    const memory = await processMemory(relay.pid);
    log(`\nRelay RSS: peak ${fixed((memory?.hwm ?? Number.NaN) / 2 ** 20, 0)} MiB, at the end ${fixed((memory?.rss ?? Number.NaN) / 2 ** 20, 0)} MiB`);
    log(`\nConditions: ${new Date().toISOString()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load average ${os.loadavg().map((value) => value.toFixed(1)).join(" ")}, Bun ${Bun.version}; fake upstream, relay and client each in their own process on the same machine.`);
    if (relay.problems.length > 0) log(`\nRelay warnings: ${relay.problems.slice(0, 3).join(" | ")}`);
    writeFileSync(resultsPath, `# Passthrough benchmark (bench/upstreams.ts)\n\n${lines.join("\n")}\n`);
  } finally {
    await relay.stop();
    bare.stop();
    fake.stop();
    modelLike.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
