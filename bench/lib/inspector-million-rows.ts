/**
 * The request log the inspector benchmarks query: a SQLite file with the store's own schema and N rows shaped
 * like real traffic, built once (a million rows take a few minutes) and reused when the file already has rows.
 */
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { SqliteDatabase } from "../../src/store/sqlite-database.ts";

export interface InspectorRowsFile {
  database: SqliteDatabase;
  /** Milliseconds spent building the rows; null when the file already had them. */
  buildMs: number | null;
  sizeBytes: number;
}

/** Opens (and migrates) the file at `path`, filling it with `rowCount` rows when it has none. */
export function openInspectorRows(path: string, rowCount: number): InspectorRowsFile {
  const database = SqliteDatabase.open(path);
  const raw = new Database(path);
  const existing = raw.query<{ count: number }, []>("SELECT count(*) AS count FROM inspector_requests").get()?.count ?? 0;
  let buildMs: number | null = null;
  if (existing === 0) {
    const started = performance.now();
    buildRows(raw, rowCount);
    buildMs = performance.now() - started;
  }
  raw.close();
  return { database, buildMs, sizeBytes: statSync(path).size };
}

/** The columns `inspectorBenchRows` fills, in order. */
export const inspectorBenchColumns = [
  "id", "started_at", "duration_ms", "ttft_ms", "status", "requested_model", "response_model", "provider", "client_key_hash", "session_id", "agent_id",
  "conversation_id", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "stop_reason", "tool_names", "preview", "has_body", "body_bytes",
] as const;

/**
 * The rows, in batches, the same on every run and engine (a seeded generator). Skewed like real traffic: most
 * requests on two models, a few clients, 40-turn sessions, rare errors; the preview is 6-15 words from a small
 * vocabulary and `module <index % 10000>`, so the rarity of a text is known.
 */
export function* inspectorBenchRows(rowCount: number, batchSize: number): Generator<Array<Array<string | number | null>>> {
  const models = ["claude-opus-4-8", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "sonnet", "opus", "haiku"];
  const providers = ["claude", "claude", "claude", "openai", "claude", "claude", "bedrock"];
  const words = ["refactor", "parser", "module", "tests", "fix", "bug", "in", "the", "add", "logging", "to", "server", "rename", "variable", "update", "docs", "for", "api", "explain", "this", "error", "write", "a", "function", "that", "sorts", "list", "review", "pull", "request"];
  const now = Date.now();
  let random = 42;
  const next = () => (random = (Math.imul(random, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let start = 0; start < rowCount; start += batchSize) {
    const batch: Array<Array<string | number | null>> = [];
    for (let index = start; index < Math.min(rowCount, start + batchSize); index++) {
      const pick = next();
      const modelIndex = pick < 0.45 ? 1 : pick < 0.75 ? 0 : pick < 0.9 ? 2 : 3 + Math.floor(next() * 4);
      const status = index % 97 === 0 ? 500 : index % 389 === 0 ? 429 : 200;
      const session = Math.floor(index / 40);
      const text = Array.from({ length: 6 + Math.floor(next() * 10) }, () => words[Math.floor(next() ** 2 * words.length)]).join(" ");
      batch.push([
        `req_${index.toString(36).padStart(8, "0")}`, now - (rowCount - index) * 2000, 200 + Math.floor(next() * 30_000), 50 + Math.floor(next() * 2000), status,
        models[modelIndex], models[modelIndex], providers[modelIndex], `${Math.floor(next() ** 3 * 50).toString(16).padStart(2, "0")}${"ab".repeat(31)}`, `session-${session}`,
        index % 5 === 0 ? `agent-${index % 3}` : null, `conv-${session}`, 1000 + Math.floor(next() * 90_000), 100 + Math.floor(next() * 4000), Math.floor(next() * 80_000), Math.floor(next() * 3000),
        index % 3 ? "end_turn" : "tool_use", index % 3 ? "Read,Bash" : null, `turn ${index}: ${text} module ${index % 10_000}`, index > rowCount - 50_000 ? 1 : 0, index > rowCount - 50_000 ? 4000 : 0,
      ]);
    }
    yield batch;
  }
}

function buildRows(raw: Database, rowCount: number) {
  // The store's own schema: its secondary indexes and triggers are set aside while the rows
  // go in (one b-tree append per row instead of twelve) and built again from their own definitions after.
  const deferred = raw.query<{ sql: string; name: string; type: string }, []>("SELECT sql, name, type FROM sqlite_master WHERE tbl_name = 'inspector_requests' AND type IN ('index', 'trigger') AND sql IS NOT NULL").all();
  for (const item of deferred) raw.run(`DROP ${item.type.toUpperCase()} ${item.name}`);
  const insert = raw.prepare(
    `INSERT INTO inspector_requests (protocol, method, path, stream, details_json, ${inspectorBenchColumns.join(", ")})
     VALUES ('anthropic-messages', 'POST', '/v1/messages', 1, '{"warnings":[],"headers":{}}', ${inspectorBenchColumns.map(() => "?").join(", ")})`,
  );
  for (const batch of inspectorBenchRows(rowCount, 100_000)) {
    raw.transaction(() => {
      for (const row of batch) insert.run(...row);
    })();
  }
  for (const item of deferred) raw.run(item.sql);
  raw.run("INSERT INTO inspector_search (inspector_search) VALUES ('rebuild')");
  raw.run("INSERT INTO inspector_words (inspector_words) VALUES ('rebuild')");
  raw.run("UPDATE inspector_text_index_state SET indexed_seq = (SELECT max(seq) FROM inspector_requests)");
  raw.run("ANALYZE");
  raw.run("PRAGMA wal_checkpoint(TRUNCATE)");
}
