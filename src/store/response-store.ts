/**
 * Stored responses for the OpenAI Responses API, in an embedded SQLite database (bun:sqlite) in the relay's
 * data directory, so `previous_response_id` conversations survive a restart.
 *
 * A row holds what the client sees (the response object, the request's input items) and the neutral
 * conversation up to and including this response's output. Keeping the whole conversation in each row makes
 * every stored response self-contained: pruning or deleting an earlier response never breaks a later one.
 * Retention (a maximum count and a maximum age) is enforced on every write.
 */
import { Database } from "bun:sqlite";
import type { RelayMessage } from "../core/relay-request.ts";

/** The neutral conversation a stored response continues from. */
export interface StoredConversation {
  /** System and developer messages of the conversation's input items, in order (not the per-request instructions). */
  systemTexts: string[];
  /** The turns, this response's output included. */
  messages: RelayMessage[];
}

/** One stored response. */
export interface StoredResponse {
  id: string;
  /** Unix time in milliseconds. */
  createdAt: number;
  /** The response object as the client received it. */
  response: unknown;
  /** The request's input items, as GET /v1/responses/{id}/input_items lists them. */
  inputItems: unknown[];
  conversation: StoredConversation;
}

export interface ResponseStoreOptions {
  /** A file path, or ":memory:" for a store that lives as long as the process. */
  path: string;
  /** Responses kept at most; the oldest go first. */
  maxResponses: number;
  /** Responses older than this are removed. */
  maxAgeMs: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface ResponseRow {
  id: string;
  created_at: number;
  response_json: string;
  input_items_json: string;
  conversation_json: string;
}

/** Schema versions in order; the database's user_version says how many have been applied. */
const migrations: string[] = [
  `CREATE TABLE responses (
     id TEXT PRIMARY KEY NOT NULL,
     created_at INTEGER NOT NULL,
     response_json TEXT NOT NULL,
     input_items_json TEXT NOT NULL,
     conversation_json TEXT NOT NULL
   ) STRICT;
   CREATE INDEX responses_by_created_at ON responses (created_at);`,
];

export class ResponseStore {
  private readonly database: Database;
  private readonly now: () => number;
  private readonly insert;
  private readonly select;
  private readonly remove;
  private readonly pruneOlderThan;
  private readonly pruneBeyondCount;
  private readonly count;

  private constructor(database: Database, private readonly options: ResponseStoreOptions) {
    this.database = database;
    this.now = options.now ?? Date.now;
    this.insert = database.prepare<void, [string, number, string, string, string]>(
      "INSERT OR REPLACE INTO responses (id, created_at, response_json, input_items_json, conversation_json) VALUES (?, ?, ?, ?, ?)",
    );
    this.select = database.prepare<ResponseRow, [string]>("SELECT * FROM responses WHERE id = ?");
    this.remove = database.prepare<void, [string, number]>("DELETE FROM responses WHERE id = ? AND created_at >= ?");
    this.pruneOlderThan = database.prepare<void, [number]>("DELETE FROM responses WHERE created_at < ?");
    this.pruneBeyondCount = database.prepare<void, [number]>(
      "DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
    );
    this.count = database.prepare<{ count: number }, []>("SELECT count(*) AS count FROM responses");
  }

  /** Opens (creating and migrating as needed) the database at `options.path`. */
  static open(options: ResponseStoreOptions): ResponseStore {
    const database = new Database(options.path, { create: true, strict: true });
    try {
      // WAL lets a reader (GET) proceed while a finished stream is written; NORMAL syncs at checkpoints only,
      // which can lose the last commits on power loss but never corrupts the file.
      database.run("PRAGMA journal_mode = WAL");
      database.run("PRAGMA synchronous = NORMAL");
      database.run("PRAGMA busy_timeout = 5000");
      migrate(database);
    } catch (error) {
      database.close();
      throw error;
    }
    return new ResponseStore(database, options);
  }

  /** Stores a response (replacing one with the same id) and prunes what retention no longer allows. */
  save(response: StoredResponse): void {
    this.database.transaction(() => {
      this.insert.run(
        response.id,
        response.createdAt,
        JSON.stringify(response.response),
        JSON.stringify(response.inputItems),
        JSON.stringify(response.conversation),
      );
      this.prune();
    })();
  }

  /** The stored response, or undefined when it was never stored, was deleted or has expired. */
  get(id: string): StoredResponse | undefined {
    const row = this.select.get(id);
    if (!row || row.created_at < this.now() - this.options.maxAgeMs) return undefined;
    return {
      id: row.id,
      createdAt: row.created_at,
      response: JSON.parse(row.response_json),
      inputItems: JSON.parse(row.input_items_json),
      conversation: JSON.parse(row.conversation_json),
    };
  }

  /** Deletes a stored response; false when there was none (an expired one counts as none). */
  delete(id: string): boolean {
    return this.remove.run(id, this.now() - this.options.maxAgeMs).changes > 0;
  }

  /** How many responses are stored (expired ones not yet pruned included). */
  size(): number {
    return this.count.get()?.count ?? 0;
  }

  close(): void {
    this.database.close(false);
  }

  private prune(): void {
    this.pruneOlderThan.run(this.now() - this.options.maxAgeMs);
    this.pruneBeyondCount.run(this.options.maxResponses);
  }
}

function migrate(database: Database): void {
  const applied = database.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (applied > migrations.length) {
    throw new Error(`the response store was written by a newer agent-relay (schema version ${applied}, this one knows ${migrations.length})`);
  }
  for (let version = applied; version < migrations.length; version++) {
    database.transaction(() => {
      database.run(migrations[version]);
      database.run(`PRAGMA user_version = ${version + 1}`);
    })();
  }
}
