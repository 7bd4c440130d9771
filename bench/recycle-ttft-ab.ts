/**
 * Time to first token of new conversations at a given concurrency, two builds of the relay side by side (both
 * with recycling, the default): this worktree's and another source tree's (e.g. an older commit extracted with
 * `git archive`). Rounds alternate the order; each round is a closed loop of `--seconds` per relay after a
 * warm-up. Real CLI against the project's fake upstream.
 *
 *   node_modules/.bin/bun bench/recycle-ttft-ab.ts --base /tmp/base-tree [--concurrency 4] [--seconds 8] [--rounds 2]
 */
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { descendantsOf } from "./lib/proc-tree.ts";
import { independentConversation, projectRoot, startBenchRelay, startOfflineCliSetup } from "./lib/offline-cli-setup.ts";
import type { RelaySample } from "./lib/relay-client.ts";
import type { RelayProcess } from "./lib/relay-process.ts";
import { fixed, percentile } from "./lib/stats.ts";

const { values: options } = parseArgs({
  options: {
    base: { type: "string" },
    concurrency: { type: "string", default: "4" },
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "2" },
    warmup: { type: "string", default: "12" },
  },
});
if (!options.base) throw new Error("--base DIR: the other source tree (with src/cli.ts)");
const concurrency = Number(options.concurrency);
const measureMs = Number(options.seconds) * 1000;

const setup = startOfflineCliSetup("agent-relay-ttft-ab-");
const { home, env } = setup;
const trees = { this: projectRoot, base: resolve(options.base) };
type Tree = keyof typeof trees;
const startRelay = (tree: Tree) => startBenchRelay({ env, home, cliPath: join(trees[tree], "src", "cli.ts"), cwd: trees[tree] });
const conversation = (relay: RelayProcess) => independentConversation(relay.url);

const relays = { this: await startRelay("this"), base: await startRelay("base") };
const results: Record<Tree, { samples: RelaySample[]; seconds: number; processes: number[] }> = {
  this: { samples: [], seconds: 0, processes: [] },
  base: { samples: [], seconds: 0, processes: [] },
};
for (const tree of Object.keys(relays) as Tree[]) {
  for (let done = 0; done < Number(options.warmup); done += concurrency) await Promise.all(Array.from({ length: concurrency }, () => conversation(relays[tree])));
}
for (let round = 1; round <= Number(options.rounds); round++) {
  const order: Tree[] = round % 2 === 1 ? ["this", "base"] : ["base", "this"];
  for (const tree of order) {
    console.error(`round ${round}: ${tree}`);
    const begin = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - begin < measureMs) results[tree].samples.push(await conversation(relays[tree]));
      }),
    );
    results[tree].seconds += (performance.now() - begin) / 1000;
    results[tree].processes.push(descendantsOf(relays[tree].pid).length);
  }
}
for (const relay of Object.values(relays)) await relay.stop();
console.log(`c=${concurrency}, ${options.rounds} rounds of ${options.seconds} s per relay, load average after: ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}`);
console.log("| relay | conversations | per second | TTFT p50 | TTFT p90 | processes under the relay after each round |");
console.log("|---|---:|---:|---:|---:|---|");
for (const tree of Object.keys(results) as Tree[]) {
  const ok = results[tree].samples.filter((sample) => sample.ok);
  const ttft = ok.map((sample) => sample.firstTokenMs);
  console.log(`| ${tree} (${trees[tree]}) | ${ok.length}${ok.length < results[tree].samples.length ? ` (+${results[tree].samples.length - ok.length} failed)` : ""} | ${fixed(ok.length / results[tree].seconds, 2)} | ${Math.round(percentile(ttft, 50))} ms | ${Math.round(percentile(ttft, 90))} ms | ${results[tree].processes.join(", ")} |`);
}
await setup.stop();
