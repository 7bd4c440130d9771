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
import { RelayError } from "../core/relay-error.ts";
import type { RelayMessage } from "../core/relay-request.ts";

/** The neutral conversation a stored response continues from. */
export interface StoredConversation {
  /** System and developer messages of the conversation's input items, in order (not the per-request instructions). */
  systemTexts: string[];
  /** The turns, this response's output included. */
  messages: RelayMessage[];
}

/**
 * Who a stored response belongs to: a hash of the credential its client sent (bearer token or x-api-key,
 * also when the relay itself has no key) and the end user it named (`safety_identifier` or `user`).
 */
export interface ResponseOwner {
  credentialHash: string;
  /** The end user named by the request; "" when none was. */
  endUser: string;
}

/** One stored response. */
export interface StoredResponse {
  id: string;
  owner: ResponseOwner;
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
  credential_hash: string;
  end_user: string;
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
  // Responses stored before owners were recorded belong to no one: they cannot be read or continued.
  `ALTER TABLE responses ADD COLUMN credential_hash TEXT NOT NULL DEFAULT '';
   ALTER TABLE responses ADD COLUMN end_user TEXT NOT NULL DEFAULT '';`,
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
    this.insert = database.prepare<void, [string, number, string, string, string, string, string]>(
      "INSERT OR REPLACE INTO responses (id, created_at, response_json, input_items_json, conversation_json, credential_hash, end_user) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.select = database.prepare<ResponseRow, [string, string]>("SELECT * FROM responses WHERE id = ? AND credential_hash = ? AND credential_hash != ''");
    this.remove = database.prepare<void, [string, number, string]>("DELETE FROM responses WHERE id = ? AND created_at >= ? AND credential_hash = ? AND credential_hash != ''");
    this.pruneOlderThan = database.prepare<void, [number]>("DELETE FROM responses WHERE created_at < ?");
    this.pruneBeyondCount = database.prepare<void, [number]>(
      "DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
    );
    this.count = database.prepare<{ count: number }, []>("SELECT count(*) AS count FROM responses");
  }

  /** Opens (creating and migrating as needed) the database at `options.path`; a database that cannot be used is a ResponseStoreUnavailable error. */
  static open(options: ResponseStoreOptions): ResponseStore {
    let database: Database;
    try {
      database = new Database(options.path, { create: true, strict: true });
    } catch (error) {
      throw responseStoreUnavailable(options.path, error);
    }
    try {
      // WAL lets a reader (GET) proceed while a finished stream is written; NORMAL syncs at checkpoints only,
      // which can lose the last commits on power loss but never corrupts the file.
      database.run("PRAGMA journal_mode = WAL");
      database.run("PRAGMA synchronous = NORMAL");
      database.run("PRAGMA busy_timeout = 5000");
      migrate(database, options.path);
    } catch (error) {
      database.close();
      throw responseStoreUnavailable(options.path, error);
    }
    return new ResponseStore(database, options);
  }

  /** Stores a response (replacing one with the same id) and prunes what retention no longer allows. */
  save(response: StoredResponse): void {
    this.guard(() => this.database.transaction(() => {
      this.insert.run(
        response.id,
        response.createdAt,
        JSON.stringify(response.response),
        JSON.stringify(response.inputItems),
        JSON.stringify(response.conversation),
        response.owner.credentialHash,
        response.owner.endUser,
      );
      this.prune();
    })());
  }

  /**
   * The stored response, or undefined when it was never stored, was deleted, has expired or belongs to
   * another client: someone else's response is indistinguishable from one that does not exist. An end user
   * is checked when `owner.endUser` is given (continuing a conversation), not for retrieval by credential.
   */
  get(id: string, owner: { credentialHash: string; endUser?: string }): StoredResponse | undefined {
    const row = this.guard(() => this.select.get(id, owner.credentialHash));
    if (!row || row.created_at < this.now() - this.options.maxAgeMs) return undefined;
    if (owner.endUser !== undefined && row.end_user !== "" && row.end_user !== owner.endUser) return undefined;
    return this.guard(() => ({
      id: row.id,
      owner: { credentialHash: row.credential_hash, endUser: row.end_user },
      createdAt: row.created_at,
      response: JSON.parse(row.response_json),
      inputItems: JSON.parse(row.input_items_json),
      conversation: JSON.parse(row.conversation_json),
    }));
  }

  /** Deletes a stored response of this client; false when there was none (an expired or someone else's counts as none). */
  delete(id: string, owner: { credentialHash: string }): boolean {
    return this.guard(() => this.remove.run(id, this.now() - this.options.maxAgeMs, owner.credentialHash).changes > 0);
  }

  /** How many responses are stored (expired ones not yet pruned included). */
  size(): number {
    return this.count.get()?.count ?? 0;
  }

  close(): void {
    this.database.close(false);
  }

  /** Runs a database operation; a failure (corrupt file, full disk, permissions) names the file and the way out. */
  private guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw responseStoreUnavailable(this.options.path, error);
    }
  }

  private prune(): void {
    this.pruneOlderThan.run(this.now() - this.options.maxAgeMs);
    this.pruneBeyondCount.run(this.options.maxResponses);
  }
}

/**
 * A 503 for the Responses API when its database cannot be used. The cause (SQLite's words) goes to the log;
 * the client and the operator learn which file it is and how to recover. The other routes keep working.
 */
export function responseStoreUnavailable(path: string, cause: unknown): RelayError {
  if (cause instanceof RelayError) return cause;
  return new RelayError(
    "unavailable",
    `The Responses API store is unavailable: the database file ${path} cannot be used. ` +
      "Check its permissions and free disk space, or move the file (with its -wal and -shm files) aside and restart agent-relay to start with an empty store.",
    { code: "response_store_unavailable", retryable: false, detail: String(cause), cause },
  );
}

function migrate(database: Database, path: string): void {
  const applied = database.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (applied > migrations.length) {
    throw new RelayError(
      "unavailable",
      `The Responses API store ${path} was written by a newer agent-relay (schema version ${applied}, this one knows ${migrations.length}). Run the newer agent-relay, or give this one another --data-dir.`,
      { code: "response_store_unavailable", retryable: false },
    );
  }
  for (let version = applied; version < migrations.length; version++) {
    database.transaction(() => {
      database.run(migrations[version]);
      database.run(`PRAGMA user_version = ${version + 1}`);
    })();
  }
}
