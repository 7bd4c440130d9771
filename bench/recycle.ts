/**
 * Recycling against spawning a process per conversation, in one run, with the real claude CLI against the
 * project's fake upstream (answering at once). For c = 1, 4 and 8: a closed loop of independent one-turn
 * conversations (same system prompt, new history each) against two relays started as their own processes,
 * one with recycling (the default) and one with --no-recycle (a process per conversation, warm pool on);
 * requests per second and time to first token, after a warm-up of a dozen conversations. Then the peak
 * memory (PSS and RSS of each relay and all its processes) of a burst of 64 conversations sent at once, to a
 * fresh relay of each kind. A cold `claude -p` is timed in the same run for reference.
 *
 *   node_modules/.bin/bun bench/recycle.ts [--seconds 12] [--burst 64] [--results bench/RECYCLE-RESULTS.md]
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { coldPrint } from "./lib/claude-cli-runs.ts";
import { descendantsOf, sumMemory } from "./lib/proc-tree.ts";
import { claudeBin, independentConversation, startBenchRelay, startOfflineCliSetup } from "./lib/offline-cli-setup.ts";
import type { RelaySample } from "./lib/relay-client.ts";
import type { RelayProcess } from "./lib/relay-process.ts";
import { fixed, percentile } from "./lib/stats.ts";

const { values: options } = parseArgs({
  options: {
    seconds: { type: "string", default: "12" },
    burst: { type: "string", default: "64" },
    warmup: { type: "string", default: "12" },
    cold: { type: "string", default: "5" },
    results: { type: "string" },
    /** Only the burst (skips the cold runs and the closed loops). */
    "burst-only": { type: "boolean", default: false },
  },
});
const measureMs = Number(options.seconds) * 1000;
const burstSize = Number(options.burst);
const burstOnly = options["burst-only"] === true;
const warmupCount = Number(options.warmup);

const setup = startOfflineCliSetup("agent-relay-recycle-");
const { home, env } = setup;
const variants = { recycle: ["--recycle"], "no-recycle": ["--no-recycle"] };
type Variant = keyof typeof variants;
const startRelay = (variant: Variant) => startBenchRelay({ env, home, extraArgs: variants[variant] });

const conversation = (relay: RelayProcess) => independentConversation(relay.url);

/** A closed loop for `durationMs`: c workers, each sending its next conversation when its last one ended. */
async function closedLoopFor(relay: RelayProcess, concurrency: number, durationMs: number): Promise<{ samples: RelaySample[]; seconds: number }> {
  const samples: RelaySample[] = [];
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - begin < durationMs) samples.push(await conversation(relay));
    }),
  );
  return { samples, seconds: (performance.now() - begin) / 1000 };
}

/** The summed PSS and RSS of a process and all its descendants. */
async function treeMemory(root: number): Promise<{ pss: number; rss: number; processes: number }> {
  const pids = [root, ...descendantsOf(root)];
  return { ...(await sumMemory(pids)), processes: pids.length - 1 };
}

const loadBefore = os.loadavg().map((value) => value.toFixed(2)).join(" ");
const startedAt = new Date();
console.error(`cold claude -p x${options.cold}`);
const cold: number[] = [];
for (let index = 0; index < (burstOnly ? 0 : Number(options.cold)); index++) {
  const sample = await coldPrint({ binary: claudeBin, prompt: "Independent question", cwd: join(home, "project"), env });
  if (sample.ok) cold.push(sample.firstTokenMs);
}

interface LoopResult { variant: Variant; concurrency: number; requests: number; failures: number; perSecond: number; ttftP50: number; ttftP90: number; processesAfter: number }
const loops: LoopResult[] = [];
const relays = burstOnly ? {} : { recycle: await startRelay("recycle"), "no-recycle": await startRelay("no-recycle") };
for (const concurrency of burstOnly ? [] : [1, 4, 8]) {
  for (const variant of Object.keys(variants) as Variant[]) {
    const relay = (relays as Record<Variant, RelayProcess>)[variant];
    console.error(`c=${concurrency} ${variant}: warm-up`);
    for (let done = 0; done < warmupCount; done += concurrency) await Promise.all(Array.from({ length: concurrency }, () => conversation(relay)));
    console.error(`c=${concurrency} ${variant}: measuring ${measureMs / 1000} s`);
    const { samples, seconds } = await closedLoopFor(relay, concurrency, measureMs);
    const ok = samples.filter((sample) => sample.ok);
    const ttft = ok.map((sample) => sample.firstTokenMs);
    loops.push({
      variant,
      concurrency,
      requests: ok.length,
      failures: samples.length - ok.length,
      perSecond: ok.length / seconds,
      ttftP50: percentile(ttft, 50),
      ttftP90: percentile(ttft, 90),
      processesAfter: descendantsOf(relay.pid).length,
    });
  }
}
for (const relay of Object.values(relays)) await relay.stop();

interface BurstResult { variant: Variant; seconds: number; failures: number; peakPss: number; peakRss: number; peakProcesses: number; processesAfter: number; pssAfter: number }
const bursts: BurstResult[] = [];
for (const variant of Object.keys(variants) as Variant[]) {
  console.error(`burst of ${burstSize}: ${variant}`);
  const relay = await startRelay(variant);
  let peak = { pss: 0, rss: 0, processes: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const now = await treeMemory(relay.pid);
      peak = { pss: Math.max(peak.pss, now.pss), rss: Math.max(peak.rss, now.rss), processes: Math.max(peak.processes, now.processes) };
      await Bun.sleep(100);
    }
  })();
  const begin = performance.now();
  const samples = await Promise.all(Array.from({ length: burstSize }, () => conversation(relay)));
  const seconds = (performance.now() - begin) / 1000;
  await Bun.sleep(3000);
  sampling = false;
  await sampler;
  const after = await treeMemory(relay.pid);
  bursts.push({ variant, seconds, failures: samples.filter((sample) => !sample.ok).length, peakPss: peak.pss, peakRss: peak.rss, peakProcesses: peak.processes, processesAfter: after.processes, pssAfter: after.pss });
  await relay.stop();
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;
const coldP50 = percentile(cold, 50);
const row = (concurrency: number, variant: Variant) => loops.find((loop) => loop.concurrency === concurrency && loop.variant === variant)!;
function throughputLines(): string[] {
  return [
    "### Throughput and time to first token",
    "",
    "| c | relay | conversations | per second | **× no-recycle** | TTFT p50 | TTFT p90 | **TTFT p50 ÷ cold `claude -p`** | processes under the relay after |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ...loops.map((loop) => {
      const base = row(loop.concurrency, "no-recycle");
      return `| ${loop.concurrency} | ${loop.variant} | ${loop.requests}${loop.failures ? ` (+${loop.failures} failed)` : ""} | ${fixed(loop.perSecond, 2)} | ${loop.variant === "recycle" ? `**${fixed(loop.perSecond / base.perSecond, 1)}×**` : "1×"} | ${Math.round(loop.ttftP50)} ms | ${Math.round(loop.ttftP90)} ms | ${fixed((loop.ttftP50 / coldP50) * 100, 1)}% | ${loop.processesAfter} |`;
    }),
    "",
    `Cold \`claude -p\` (the same prompt, spawned by the benchmark, first text delta on stdout): p50 ${Math.round(coldP50)} ms over ${cold.length} runs.`,
    "",
  ];
}
const lines = [
  "## Benchmark: recycling CLI processes",
  "",
  `Measured ${startedAt.toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 1024 ** 3)} GB RAM, Bun ${Bun.version}, Claude Code 2.1.197. **The machine was shared with other work** (load average before: ${loadBefore}; after: ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}), so absolute numbers are noisy; the ratios compare variants measured side by side in the same run.`,
  "",
  "```sh",
  burstOnly ? `node_modules/.bin/bun bench/recycle.ts --burst-only --burst ${burstSize}` : `node_modules/.bin/bun bench/recycle.ts --seconds ${options.seconds} --burst ${burstSize} --warmup ${warmupCount}`,
  "```",
  "",
  `The real CLI against the project's fake upstream (answering at once), in a temporary HOME. Two relays as their own processes, \`--max-concurrent 8\`, one with recycling (the default, \`--recycle\`) and one with \`--no-recycle\` (a process per conversation; the warm pool on, 2 processes). Each conversation is a new one-turn conversation (same system prompt, a new question), streamed through \`POST /v1/chat/completions\`; time to first token is the first content delta at the client. Per concurrency and relay: ${warmupCount} warm-up conversations, then a closed loop for ${options.seconds} s (a shortened run).`,
  "",
  ...(burstOnly ? [] : throughputLines()),
  `### Memory of a burst of ${burstSize} conversations sent at once`,
  "",
  "| relay | burst took | failed | peak PSS (relay + CLIs) | peak RSS | peak processes under the relay | processes 3 s later | PSS 3 s later |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
  ...bursts.map((burst) => `| ${burst.variant} | ${fixed(burst.seconds, 1)} s | ${burst.failures} | ${mb(burst.peakPss)} | ${mb(burst.peakRss)} | ${burst.peakProcesses} | ${burst.processesAfter} | ${mb(burst.pssAfter)} |`),
  "",
  `Peak PSS with recycling ÷ without: ${fixed((bursts[0].peakPss / bursts[1].peakPss) * 100, 0)}%. Sampled every 100 ms from /proc (the relay and all its descendants).`,
];
const markdown = lines.join("\n");
console.log(markdown);
if (options.results) writeFileSync(options.results, `<!-- Written by bench/recycle.ts; paste into the README. -->\n${markdown}\n`);
await setup.stop();
