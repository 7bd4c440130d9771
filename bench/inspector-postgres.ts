/**
 * The request list at 1,000,000 rows on PostgreSQL: the same table and queries as the SQLite benchmarks
 * (bench/lib/inspector-million-rows.ts, bench/lib/inspector-list-cases.ts), through the relay's InspectorStore
 * on a throwaway PostgreSQL server started the way the store tests start theirs (Debian's binaries, a cluster
 * in a temporary directory, fsync off).
 *
 *   node_modules/.bin/bun bench/inspector-postgres.ts [--rows N] [--rounds N] [--results file.md] [--keep DIR]
 *
 * --keep DIR keeps the cluster in DIR after the run and reuses its rows on the next run with the same --rows
 * (loading 1,000,000 rows takes about 4 minutes).
 *
 * Two stores on the same rows alternate query by query: the default one and one answering free text from the
 * pg_trgm index alone (the code before the gram index); each case's rows are checked to be the same on both.
 * After the fixed cases, 100 random substrings of the previews (seeded) are timed the same way.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { InspectorStore } from "../src/store/inspector-store.ts";
import { PostgresDatabase } from "../src/store/postgres-database.ts";
import { startPostgresServer } from "../test/support/postgres-server.ts";
import { inspectorListCases } from "./lib/inspector-list-cases.ts";
import { inspectorBenchColumns, inspectorBenchRows } from "./lib/inspector-million-rows.ts";
import { percentile } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "20" },
    results: { type: "string" },
    keep: { type: "string" },
  },
});
const rowCount = Number(values.rows);
const rounds = Number(values.rounds);
const loadAverage = () => os.loadavg().map((value) => value.toFixed(1)).join(", ");
const lines: string[] = [];
const say = (line = "") => {
  lines.push(line);
  console.log(line);
};

/** Loads the rows with the table's indexes set aside, then builds them again from their own definitions. */
async function loadRows(database: PostgresDatabase): Promise<void> {
  const indexes = await database.all<{ indexname: string; indexdef: string }>(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'inspector_requests' AND indexname NOT IN (SELECT conname FROM pg_constraint)",
  );
  for (const index of indexes) await database.run(`DROP INDEX ${index.indexname}`);
  const types = ["text", "bigint", "int", "int", "int", "text", "text", "text", "text", "text", "text", "text", "int", "int", "int", "int", "text", "text", "text", "int", "bigint"];
  const recordType = inspectorBenchColumns.map((column, position) => `${column} ${types[position]}`).join(", ");
  for (const batch of inspectorBenchRows(rowCount, 20_000)) {
    // One JSON parameter per batch: json_to_recordset turns it back into rows on the server.
    const records = batch.map((row) => Object.fromEntries(inspectorBenchColumns.map((column, position) => [column, row[position]])));
    await database.run(
      `INSERT INTO inspector_requests (protocol, method, path, stream, details_json, ${inspectorBenchColumns.join(", ")})
       SELECT 'anthropic-messages', 'POST', '/v1/messages', 1, '{"warnings":[],"headers":{}}', ${inspectorBenchColumns.join(", ")}
       FROM json_to_recordset(CAST(? AS text)::json) AS row (${recordType})`,
      [JSON.stringify(records)],
    );
  }
  for (const index of indexes) await database.run(index.indexdef);
  await database.run("ANALYZE inspector_requests");
}

const server = await startPostgresServer({ keepDirectory: values.keep });
try {
  const database = await PostgresDatabase.open(await server.createDatabase());
  const [{ count }] = await database.all<{ count: number }>("SELECT count(*) AS count FROM inspector_requests");
  if (count !== 0 && count !== rowCount) throw new Error(`${values.keep} holds ${count} rows, not ${rowCount}: use another --keep directory`);
  const buildStarted = performance.now();
  if (count === 0) await loadRows(database);
  const buildMs = performance.now() - buildStarted;
  const store = new InspectorStore(database);
  // The pg_trgm index alone (how free text was answered before the gram index), compared query by query.
  const trigramsOnly = new InspectorStore(database, { textSearch: "trigrams" });
  const [{ bytes }] = await database.all<{ bytes: number }>("SELECT pg_total_relation_size('inspector_requests') AS bytes");
  const indexSizes = await database.all<{ name: string; bytes: number }>(
    "SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS bytes FROM pg_index WHERE indexrelid::regclass::text LIKE 'inspector_requests_preview%'",
  );
  say(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}. Command: \`node_modules/.bin/bun bench/inspector-postgres.ts ${process.argv.slice(2).join(" ")}\``);
  say();
  say(`PostgreSQL ${(await database.all<{ server_version: string }>("SHOW server_version"))[0].server_version}, ${rowCount.toLocaleString("en-US")} rows ${count === 0 ? `loaded in ${(buildMs / 1000).toFixed(0)} s (indexes built after)` : "reused from an earlier run (--keep)"}, table with indexes ${(Number(bytes) / 1048576).toFixed(0)} MB (${indexSizes.map((index) => `${index.name} ${(Number(index.bytes) / 1048576).toFixed(0)} MB`).join(", ")}). Each query ${rounds} times after one warm-up, through InspectorStore, the two stores alternating query by query (same rows checked). Load average before: ${loadAverage()}.`);
  say();
  say("| query | pg_trgm alone p50 | p95 | this checkout p50 | p95 |");
  say("|---|---:|---:|---:|---:|");
  const ids = (page: unknown) => JSON.stringify(Array.isArray(page) ? page.map((item) => item.id) : (page as { items: Array<{ id: string }> }).items.map((item) => item.id));
  for (const listCase of await inspectorListCases(store, rowCount)) {
    const [before, after] = [await listCase.run(trigramsOnly), await listCase.run(store)];
    if (ids(before) !== ids(after)) throw new Error(`${listCase.name}: the two paths returned different rows`);
    const times: [number[], number[]] = [[], []];
    for (let round = 0; round < rounds; round++) {
      for (const which of round % 2 ? [1, 0] : [0, 1]) {
        const started = performance.now();
        await listCase.run(which ? store : trigramsOnly);
        times[which].push(performance.now() - started);
      }
    }
    const cell = (samples: number[]) => `${percentile(samples, 50).toFixed(2)} ms | ${percentile(samples, 95).toFixed(2)} ms`;
    say(`| ${listCase.name} | ${cell(times[0])} | ${cell(times[1])} |`);
  }
  say();
  // Beyond the fixed cases: substrings of real previews (seeded), as someone would type them: 4-19 characters,
  // a third uppercased, some with a digit appended (often absent). First page and the next, both stores alternating.
  let random = 7;
  const next = () => (random = (Math.imul(random, 1103515245) + 12345) >>> 0) / 4294967296;
  const seqs = Array.from({ length: 100 }, () => 1 + Math.floor(next() * (rowCount - 1)));
  const samples = await database.all<{ preview: string }>(`SELECT preview FROM inspector_requests WHERE seq IN (${seqs.join(",")}) ORDER BY seq`);
  const randomTimes: [number[], number[]] = [[], []];
  for (const [index, { preview }] of samples.entries()) {
    const length = 4 + Math.floor(next() * 16);
    const start = Math.floor(next() * Math.max(1, preview.length - length));
    let text = preview.slice(start, start + length);
    if (next() < 0.3) text = text.toUpperCase();
    if (next() < 0.15) text += "7";
    const pages: string[] = [];
    for (const which of index % 2 ? [1, 0] : [0, 1]) {
      const started = performance.now();
      const first = await (which ? store : trigramsOnly).list({ text }, { limit: 100 });
      const second = first.nextCursor === null ? undefined : await (which ? store : trigramsOnly).list({ text }, { limit: 100, before: first.nextCursor });
      randomTimes[which].push(performance.now() - started);
      pages[which] = ids(first) + ids(second ?? { items: [] });
    }
    if (pages[0] !== pages[1]) throw new Error(`${JSON.stringify(text)}: the two paths returned different rows`);
  }
  const spread = (samples: number[]) => `${percentile(samples, 50).toFixed(1)} / ${percentile(samples, 90).toFixed(1)} / ${Math.max(...samples).toFixed(0)} ms`;
  say(`${samples.length} random substrings of previews, first page and the next (same rows checked), p50 / p90 / max: pg_trgm alone ${spread(randomTimes[0])}, this checkout ${spread(randomTimes[1])}.`);
  say();
  say(`Load average after: ${loadAverage()}.`);
  if (values.results) writeFileSync(values.results, `${lines.join("\n")}\n`);
  await database.close();
} finally {
  await server.stop();
}
