/**
 * Where the memory of a burst goes: N new conversations sent at once to a relay with recycling (the default)
 * and to one with --no-recycle (a process per conversation, warm pool on), each a fresh relay started as its
 * own process, in one run (the order alternates per round). Every 100 ms it reads the PSS and RSS of the
 * relay and of each CLI process group under it (a CLI and its own children), and prints per relay: the peak
 * PSS, the CLI processes at that moment, the burst's duration, failures, the CLIs seen in all, the idle PSS
 * of one CLI afterwards, and a timeline (one line a second).
 *
 *   node_modules/.bin/bun bench/recycle-burst-breakdown.ts [--burst 64] [--rounds 1] [--after 3] [--results FILE]
 *
 * The real claude CLI (npm devDependency) against the project's fake upstream, answering at once.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { childrenOf, descendantsOf, sumMemory } from "./lib/proc-tree.ts";
import { independentConversation, startBenchRelay, startOfflineCliSetup } from "./lib/offline-cli-setup.ts";
import type { RelayProcess } from "./lib/relay-process.ts";
import { fixed, percentile } from "./lib/stats.ts";

const { values: options } = parseArgs({
  options: {
    burst: { type: "string", default: "64" },
    rounds: { type: "string", default: "1" },
    /** Seconds to keep sampling after the last answer (the state a burst leaves behind). */
    after: { type: "string", default: "3" },
    results: { type: "string" },
  },
});
const burstSize = Number(options.burst);
const rounds = Number(options.rounds);
const afterMs = Number(options.after) * 1000;

const setup = startOfflineCliSetup("agent-relay-burst-");
const { home, env } = setup;
const variants = { recycle: ["--recycle"], "no-recycle": ["--no-recycle"] } as const;
type Variant = keyof typeof variants;
const startRelay = (variant: Variant) => startBenchRelay({ env, home, extraArgs: variants[variant] });

const conversation = (relay: RelayProcess) => independentConversation(relay.url);

interface Sample {
  /** Seconds since the burst was sent. */
  at: number;
  relayPss: number;
  /** PSS of each CLI process group (a CLI and its children), by the CLI's pid. */
  cliPss: Map<number, number>;
  pss: number;
  rss: number;
  /** Processes under the relay (CLIs and their children). */
  processes: number;
  answered: number;
}

async function sample(relayPid: number, at: number, answered: number): Promise<Sample> {
  const clis = childrenOf(relayPid);
  const [relay, ...groups] = await Promise.all([sumMemory([relayPid]), ...clis.map((pid) => sumMemory([pid, ...descendantsOf(pid)]))]);
  const cliPss = new Map(clis.map((pid, index) => [pid, groups[index].pss]));
  const processes = descendantsOf(relayPid).length;
  return {
    at,
    relayPss: relay.pss,
    cliPss,
    pss: relay.pss + groups.reduce((sum, group) => sum + group.pss, 0),
    rss: relay.rss + groups.reduce((sum, group) => sum + group.rss, 0),
    processes,
    answered,
  };
}

interface BurstRun {
  variant: Variant;
  round: number;
  seconds: number;
  failures: number;
  peak: Sample;
  peakRss: number;
  /** CLI processes seen under the relay over the whole run. */
  clisSeen: number;
  last: Sample;
  timeline: Sample[];
}

async function runBurst(variant: Variant, round: number): Promise<BurstRun> {
  console.error(`round ${round}: burst of ${burstSize}, ${variant}`);
  const relay = await startRelay(variant);
  const samples: Sample[] = [];
  const seen = new Set<number>();
  let answered = 0;
  let sampling = true;
  const begin = performance.now();
  const sampler = (async () => {
    while (sampling) {
      const now = await sample(relay.pid, (performance.now() - begin) / 1000, answered);
      for (const pid of now.cliPss.keys()) seen.add(pid);
      samples.push(now);
      await Bun.sleep(100);
    }
  })();
  const results = await Promise.all(
    Array.from({ length: burstSize }, async () => {
      const result = await conversation(relay);
      answered++;
      return result;
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  await Bun.sleep(afterMs);
  sampling = false;
  await sampler;
  await relay.stop();
  const peak = samples.reduce((best, next) => (next.pss > best.pss ? next : best));
  return {
    variant,
    round,
    seconds,
    failures: results.filter((result) => !result.ok).length,
    peak,
    peakRss: Math.max(...samples.map((entry) => entry.rss)),
    clisSeen: seen.size,
    last: samples.at(-1)!,
    timeline: samples.filter((entry, index) => index === 0 || Math.floor(entry.at) !== Math.floor(samples[index - 1].at)),
  };
}

const loadBefore = os.loadavg().map((value) => value.toFixed(2)).join(" ");
const startedAt = new Date();
const runs: BurstRun[] = [];
for (let round = 1; round <= rounds; round++) {
  const order: Variant[] = round % 2 === 1 ? ["recycle", "no-recycle"] : ["no-recycle", "recycle"];
  for (const variant of order) runs.push(await runBurst(variant, round));
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;
const idleCliPss = (run: BurstRun) => percentile([...run.last.cliPss.values()], 50);
const lines = [
  `## Memory of a burst of ${burstSize} new conversations, where it goes`,
  "",
  `Measured ${startedAt.toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 1024 ** 3)} GB RAM, Bun ${Bun.version}. Load average before: ${loadBefore}; after: ${os.loadavg().map((value) => value.toFixed(2)).join(" ")} (the machine was shared; compare the two relays of the same round).`,
  "",
  "```sh",
  `node_modules/.bin/bun bench/recycle-burst-breakdown.ts --burst ${burstSize} --rounds ${rounds} --after ${options.after}`,
  "```",
  "",
  `Each relay fresh, \`--max-concurrent 8 --max-queue 128\`, default otherwise (warm pool 2, 8 live conversations, recycling on or \`--no-recycle\`). PSS of the relay plus every CLI process group under it, sampled every 100 ms until ${options.after} s after the last answer.`,
  "",
  "| round | relay | burst took | failed | **peak PSS** | relay's own PSS then | CLIs at the peak | CLIs seen in all | peak RSS | CLIs at the end | PSS at the end | one idle CLI (median PSS at the end) |",
  "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...runs.map(
    (run) =>
      `| ${run.round} | ${run.variant} | ${fixed(run.seconds, 1)} s | ${run.failures} | **${mb(run.peak.pss)}** | ${mb(run.peak.relayPss)} | ${run.peak.cliPss.size} | ${run.clisSeen} | ${mb(run.peakRss)} | ${run.last.cliPss.size} | ${mb(run.last.pss)} | ${mb(idleCliPss(run))} |`,
  ),
  "",
  ...Array.from({ length: rounds }, (_, index) => {
    const recycle = runs.find((run) => run.round === index + 1 && run.variant === "recycle")!;
    const base = runs.find((run) => run.round === index + 1 && run.variant === "no-recycle")!;
    return `Round ${index + 1}: peak PSS with recycling ÷ without: **${fixed((recycle.peak.pss / base.peak.pss) * 100, 0)}%** (${mb(recycle.peak.pss)} / ${mb(base.peak.pss)}); CLIs at the peak ${recycle.peak.cliPss.size} against ${base.peak.cliPss.size}; burst ${fixed(recycle.seconds, 1)} s against ${fixed(base.seconds, 1)} s.`;
  }),
  "",
  "### Timeline (one sample a second: seconds since the burst, answers done, CLIs, total PSS)",
  "",
  ...runs.flatMap((run) => [
    `${run.variant} (round ${run.round}):`,
    "```",
    ...run.timeline.map((entry) => `${fixed(entry.at, 1).padStart(6)} s  answered ${String(entry.answered).padStart(3)}  CLIs ${String(entry.cliPss.size).padStart(2)}  PSS ${mb(entry.pss).padStart(8)}`),
    "```",
  ]),
];
const markdown = lines.join("\n");
console.log(markdown);
if (options.results) writeFileSync(options.results, `<!-- Written by bench/recycle-burst-breakdown.ts. -->\n${markdown}\n`);
await setup.stop();
