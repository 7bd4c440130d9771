/**
 * Free-text search in the request list at 1,000,000 rows (SQLite): the trigram index alone against the word
 * index first (src/store/word-search-phrase.ts), side by side in one run, each query alternating between the
 * two (the order flips every round), plus the list's other filters for reference. Each text query's results
 * are checked to be the same on both paths.
 *
 *   node_modules/.bin/bun bench/inspector-text-search.ts [--rows N] [--rounds N] [--database kept.sqlite] [--results file.md]
 *
 * With --database the table is built there once (a few minutes) and reused by later runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { InspectorStore } from "../src/store/inspector-store.ts";
import { inspectorListCases } from "./lib/inspector-list-cases.ts";
import { openInspectorRows } from "./lib/inspector-million-rows.ts";
import { percentile } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "20" },
    database: { type: "string" },
    results: { type: "string" },
  },
});
const rowCount = Number(values.rows);
const rounds = Number(values.rounds);
const home = mkdtempSync(join(os.tmpdir(), "agent-relay-text-search-bench-"));
const loadAverage = () => os.loadavg().map((value) => value.toFixed(1)).join(", ");
const lines: string[] = [];
const say = (line = "") => {
  lines.push(line);
  console.log(line);
};

try {
  const file = openInspectorRows(values.database ?? join(home, "million.sqlite"), rowCount);
  const paths = { trigrams: new InspectorStore(file.database, { textSearch: "trigrams" }), words: new InspectorStore(file.database) };
  const cases = await inspectorListCases(paths.words, rowCount);
  const loadBefore = loadAverage();
  say(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}. Command: \`node_modules/.bin/bun bench/inspector-text-search.ts ${process.argv.slice(2).join(" ")}\``);
  say();
  say(`SQLite file of ${(file.sizeBytes / 1048576).toFixed(0)} MB, ${rowCount.toLocaleString("en-US")} rows ${file.buildMs === null ? "(built before)" : `(built in ${(file.buildMs / 1000).toFixed(0)} s)`}. Each query ${rounds} times per path after one warm-up, alternating between the paths. Load average before: ${loadBefore}.`);
  say();
  say("| query | trigram index p50 | p95 | word index first p50 | p95 |");
  say("|---|---:|---:|---:|---:|");
  const ids = (page: unknown) => JSON.stringify((page as { items?: Array<{ id: string }> }).items?.map((item) => item.id) ?? page);
  let mismatches = 0;
  for (const listCase of cases) {
    const samples = { trigrams: [] as number[], words: [] as number[] };
    const warm = { trigrams: await listCase.run(paths.trigrams), words: await listCase.run(paths.words) };
    if (listCase.kind === "text" && ids(warm.trigrams) !== ids(warm.words)) {
      mismatches++;
      console.error(`different results for "${listCase.name}"`);
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (["trigrams", "words"] as const) : (["words", "trigrams"] as const);
      for (const path of order) {
        const started = performance.now();
        await listCase.run(paths[path]);
        samples[path].push(performance.now() - started);
      }
    }
    const cell = (list: number[], p: number) => `${percentile(list, p).toFixed(2)} ms`;
    say(`| ${listCase.name} | ${cell(samples.trigrams, 50)} | ${cell(samples.trigrams, 95)} | ${cell(samples.words, 50)} | ${cell(samples.words, 95)} |`);
  }
  say();
  say(`Load average after: ${loadAverage()}. Text queries whose results differed between the paths: ${mismatches}.`);
  if (values.results) writeFileSync(values.results, `${lines.join("\n")}\n`);
  await file.database.close();
  if (mismatches > 0) process.exitCode = 1;
} finally {
  rmSync(home, { recursive: true, force: true });
}
