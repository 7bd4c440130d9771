/**
 * The request list at 1,000,000 rows on PostgreSQL: the same table and queries as the SQLite benchmarks
 * (bench/lib/inspector-million-rows.ts, bench/lib/inspector-list-cases.ts), through the relay's InspectorStore
 * on a throwaway PostgreSQL server started the way the store tests start theirs (Debian's binaries, a cluster
 * in a temporary directory, fsync off).
 *
 *   node_modules/.bin/bun bench/inspector-postgres.ts [--rows N] [--rounds N] [--results file.md]
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { InspectorStore } from "../src/store/inspector-store.ts";
import { PostgresDatabase } from "../src/store/postgres-database.ts";
import { startPostgresServer } from "../test/support/postgres-server.ts";
import { inspectorListCases, timeListCase } from "./lib/inspector-list-cases.ts";
import { inspectorBenchColumns, inspectorBenchRows } from "./lib/inspector-million-rows.ts";
import { percentile } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "20" },
    results: { type: "string" },
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

const server = await startPostgresServer();
try {
  const database = await PostgresDatabase.open(await server.createDatabase());
  const buildStarted = performance.now();
  await loadRows(database);
  const buildMs = performance.now() - buildStarted;
  const store = new InspectorStore(database);
  const [{ bytes }] = await database.all<{ bytes: number }>("SELECT pg_total_relation_size('inspector_requests') AS bytes");
  say(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Bun ${Bun.version}. Command: \`node_modules/.bin/bun bench/inspector-postgres.ts ${process.argv.slice(2).join(" ")}\``);
  say();
  say(`PostgreSQL ${(await database.all<{ server_version: string }>("SHOW server_version"))[0].server_version}, ${rowCount.toLocaleString("en-US")} rows loaded in ${(buildMs / 1000).toFixed(0)} s (indexes built after), table with indexes ${(Number(bytes) / 1048576).toFixed(0)} MB. Each query ${rounds} times after one warm-up, through InspectorStore. Load average before: ${loadAverage()}.`);
  say();
  say("| query | p50 | p95 |");
  say("|---|---:|---:|");
  for (const listCase of await inspectorListCases(store, rowCount)) {
    const times = await timeListCase(store, listCase, rounds);
    say(`| ${listCase.name} | ${percentile(times, 50).toFixed(2)} ms | ${percentile(times, 95).toFixed(2)} ms |`);
  }
  say();
  say(`Load average after: ${loadAverage()}.`);
  if (values.results) writeFileSync(values.results, `${lines.join("\n")}\n`);
  await database.close();
} finally {
  await server.stop();
}
