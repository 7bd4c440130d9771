/**
 * The schema, as versioned migrations for both engines, applied in order. SQLite records the version in
 * PRAGMA user_version (so files written before the inspector existed upgrade in place); PostgreSQL in the
 * table agent_relay_schema, under an advisory lock so relays starting together migrate once.
 */
import type { Migration } from "./relay-database.ts";

/**
 * Free-text search over the list's preview without scanning the log: an FTS5 trigram index on SQLite (it
 * answers LIKE '%text%' case-insensitively), kept in step by triggers.
 */
const sqliteTextSearch = `
  CREATE VIRTUAL TABLE inspector_search USING fts5(preview, content='inspector_requests', content_rowid='seq', tokenize='trigram');
  CREATE TRIGGER inspector_search_insert AFTER INSERT ON inspector_requests BEGIN
    INSERT INTO inspector_search (rowid, preview) VALUES (new.seq, new.preview);
  END;
  CREATE TRIGGER inspector_search_delete AFTER DELETE ON inspector_requests BEGIN
    INSERT INTO inspector_search (inspector_search, rowid, preview) VALUES ('delete', old.seq, old.preview);
  END;
`;

/**
 * A whole-word FTS5 index beside the trigram one (SQLite only): text with a word of four or more characters
 * is pre-filtered by its words (see word-search-phrase.ts), which reads the short lists of rare words instead
 * of the long lists of common trigrams. Its prefix index of 4-character prefixes answers the phrase's last
 * word, which may end inside a word, from one list read newest first (without it FTS5 merges the lists of
 * every word the prefix stands for before returning a row: 50 ms for `modu*` at 1,000,000 rows). Filled from
 * the existing rows when the migration runs.
 */
const sqliteWordSearch = `
  CREATE VIRTUAL TABLE inspector_words USING fts5(preview, content='inspector_requests', content_rowid='seq', tokenize='unicode61', prefix='4');
  CREATE TRIGGER inspector_words_insert AFTER INSERT ON inspector_requests BEGIN
    INSERT INTO inspector_words (rowid, preview) VALUES (new.seq, new.preview);
  END;
  CREATE TRIGGER inspector_words_delete AFTER DELETE ON inspector_requests BEGIN
    INSERT INTO inspector_words (inspector_words, rowid, preview) VALUES ('delete', old.seq, old.preview);
  END;
  INSERT INTO inspector_words (inspector_words) VALUES ('rebuild');
`;

/** On PostgreSQL a pg_trgm index where the extension can be created; without it, free text scans. */
const postgresTextSearch = `
  DO $$ BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX inspector_requests_preview_trigrams ON inspector_requests USING gin (lower(preview) gin_trgm_ops);
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available: free-text search in the request log scans';
  END $$;
`;

/**
 * PostgreSQL: every 4-character substring of the lowercased preview, in a GIN index (array_ops, no extension
 * needed; GIN and ANALYZE count a repeated gram once per row, so the function does not sort them out: 31 µs
 * a row instead of 54). Unlike pg_trgm's trigrams, which are taken word by word, these span the spaces between
 * words, so "add logging to" asks for "d lo" and "g to" (rare) instead of the trigrams of three common words;
 * and ANALYZE records how often each common gram occurs (pg_stats.most_common_elems), so the store asks the
 * index only for the text's rare grams (inspector-store.ts, choosePreviewGrams) and never reads the long lists of
 * common ones. A row holding the text holds every gram of it, so the grams are a pre-filter; the substring
 * match confirms. COST tells the planner the function is dear, so it never evaluates it row by row. ANALYZE
 * records the grams' frequencies now (autovacuum analyzes again only after many writes); until a table has
 * them, free text takes the plain query.
 */
const postgresPreviewGrams = `
  CREATE FUNCTION inspector_preview_grams(value text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT ARRAY(SELECT substr(value, position, 4) FROM generate_series(1, length(value) - 3) AS position)
  $$;
  CREATE INDEX inspector_requests_preview_grams ON inspector_requests USING gin (inspector_preview_grams(lower(preview)));
  ANALYZE inspector_requests;
`;

export const migrations: Migration[] = [
  {
    sqlite: `CREATE TABLE responses (
       id TEXT PRIMARY KEY NOT NULL,
       created_at INTEGER NOT NULL,
       response_json TEXT NOT NULL,
       input_items_json TEXT NOT NULL,
       conversation_json TEXT NOT NULL
     ) STRICT;
     CREATE INDEX responses_by_created_at ON responses (created_at);`,
    postgres: `CREATE TABLE responses (
       id TEXT PRIMARY KEY NOT NULL,
       created_at BIGINT NOT NULL,
       response_json TEXT NOT NULL,
       input_items_json TEXT NOT NULL,
       conversation_json TEXT NOT NULL
     );
     CREATE INDEX responses_by_created_at ON responses (created_at);`,
  },
  {
    sqlite: inspectorSchema("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER") + sqliteTextSearch,
    postgres: inspectorSchema("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT") + postgresTextSearch,
  },
  // Stored responses belong to the client that created them. Rows stored before owners were recorded belong
  // to no one: they cannot be read or continued.
  {
    sqlite: `ALTER TABLE responses ADD COLUMN credential_hash TEXT NOT NULL DEFAULT '';
     ALTER TABLE responses ADD COLUMN end_user TEXT NOT NULL DEFAULT '';`,
    postgres: `ALTER TABLE responses ADD COLUMN credential_hash TEXT NOT NULL DEFAULT '';
     ALTER TABLE responses ADD COLUMN end_user TEXT NOT NULL DEFAULT '';`,
  },
  // The request list filtered by how the claude backend served a request (warm, live, hold, replay, ...).
  {
    sqlite: `CREATE INDEX inspector_requests_by_served_path ON inspector_requests (served_path, seq);`,
    postgres: `CREATE INDEX inspector_requests_by_served_path ON inspector_requests (served_path, seq);`,
  },
  // PostgreSQL answers every free text from its pg_trgm index and needs no second one.
  { sqlite: sqliteWordSearch, postgres: "SELECT 1" },
  // The tools the claude CLI ran itself in agent mode, for the overview's top tools (rows written before this
  // column existed have none: their runs are only in details_json).
  {
    sqlite: `ALTER TABLE inspector_requests ADD COLUMN agent_tool_names TEXT;`,
    postgres: `ALTER TABLE inspector_requests ADD COLUMN agent_tool_names TEXT;`,
  },
  // SQLite's text indexes are filled in bulk by the writer instead of row by row (see sqliteDeferredTextIndex).
  { sqlite: sqliteDeferredTextIndex(), postgres: "SELECT 1" },
  // PostgreSQL free text pre-filtered by the text's rare 4-character grams (see postgresPreviewGrams).
  { sqlite: "SELECT 1", postgres: postgresPreviewGrams },
];

/**
 * The two FTS5 indexes filled in bulk, not by insert triggers: FTS5 writes a new segment of its index at each
 * commit, so the writer's small transactions (a few requests each) cost about 85 µs per row for both indexes;
 * filled a few hundred rows at a time they cost about 10 (measured on a 2-core EPYC). Rows above
 * `indexed_seq` are not in the indexes yet: free text reads them from the table itself (they are at most a
 * few hundred, the newest). Every row existing when this runs was indexed by the triggers it removes. A
 * deleted row leaves the indexes only if it was in them: FTS5 must not be told to delete what it never held.
 */
function sqliteDeferredTextIndex(): string {
  const deleteFrom = (table: string) => `INSERT INTO ${table} (${table}, rowid, preview) VALUES ('delete', old.seq, old.preview);`;
  return `
    CREATE TABLE inspector_text_index_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_seq INTEGER NOT NULL);
    INSERT INTO inspector_text_index_state (id, indexed_seq) VALUES (1, COALESCE((SELECT max(seq) FROM inspector_requests), 0));
    DROP TRIGGER inspector_search_insert;
    DROP TRIGGER inspector_words_insert;
    DROP TRIGGER inspector_search_delete;
    DROP TRIGGER inspector_words_delete;
    CREATE TRIGGER inspector_text_index_delete AFTER DELETE ON inspector_requests
      WHEN old.seq <= (SELECT indexed_seq FROM inspector_text_index_state) BEGIN
      ${deleteFrom("inspector_search")}
      ${deleteFrom("inspector_words")}
    END;
  `;
}

/**
 * The request log: one row of metadata per request (the list and its filters read only this table), the
 * bodies in their own table (pruned sooner), and content-addressed blobs that bodies refer to by hash.
 * Blobs count their referrers (bodies and child blobs), so pruning a body frees what nothing else uses.
 */
function inspectorSchema(sequence: string, bigInteger: string): string {
  return `
    CREATE TABLE inspector_requests (
      seq ${sequence},
      id TEXT NOT NULL UNIQUE,
      started_at ${bigInteger} NOT NULL,
      duration_ms INTEGER,
      ttft_ms INTEGER,
      protocol TEXT NOT NULL,
      method TEXT NOT NULL,
      path TEXT NOT NULL,
      stream INTEGER NOT NULL,
      status INTEGER NOT NULL,
      error_kind TEXT,
      error_message TEXT,
      requested_model TEXT,
      response_model TEXT,
      provider TEXT,
      provider_model TEXT,
      served_path TEXT,
      client_key_hash TEXT,
      user_agent TEXT,
      remote_address TEXT,
      session_id TEXT,
      agent_id TEXT,
      parent_agent_id TEXT,
      conversation_id TEXT,
      response_id TEXT,
      previous_response_id TEXT,
      input_tokens INTEGER,
      output_tokens INTEGER,
      cache_write_tokens INTEGER,
      cache_read_tokens INTEGER,
      reasoning_tokens INTEGER,
      stop_reason TEXT,
      tool_names TEXT,
      preview TEXT,
      details_json TEXT NOT NULL,
      starred INTEGER NOT NULL DEFAULT 0,
      body_bytes ${bigInteger} NOT NULL DEFAULT 0,
      has_body INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX inspector_requests_by_started_at ON inspector_requests (started_at);
    CREATE INDEX inspector_requests_by_session ON inspector_requests (session_id, seq);
    CREATE INDEX inspector_requests_by_conversation ON inspector_requests (conversation_id, seq);
    CREATE INDEX inspector_requests_by_model ON inspector_requests (requested_model, seq);
    CREATE INDEX inspector_requests_by_provider ON inspector_requests (provider, seq);
    CREATE INDEX inspector_requests_by_status ON inspector_requests (status, seq);
    CREATE INDEX inspector_requests_failed ON inspector_requests (seq) WHERE status >= 400;
    CREATE INDEX inspector_requests_by_client ON inspector_requests (client_key_hash, seq);
    CREATE INDEX inspector_requests_by_response ON inspector_requests (response_id);
    CREATE INDEX inspector_requests_with_body ON inspector_requests (has_body, seq);
    CREATE TABLE inspector_bodies (
      seq ${bigInteger} PRIMARY KEY NOT NULL,
      request_json TEXT,
      response_json TEXT,
      events_json TEXT,
      blob_refs TEXT NOT NULL,
      bytes ${bigInteger} NOT NULL
    );
    CREATE TABLE inspector_blobs (
      hash TEXT PRIMARY KEY NOT NULL,
      kind TEXT NOT NULL,
      content TEXT NOT NULL,
      children TEXT NOT NULL,
      refs INTEGER NOT NULL,
      bytes ${bigInteger} NOT NULL
    );
    CREATE INDEX inspector_blobs_unreferenced ON inspector_blobs (refs);
  `;
}
