/**
 * Stored responses for the OpenAI Responses API, on the relay's database (SQLite in the data directory by
 * default, PostgreSQL when configured), so `previous_response_id` conversations survive a restart and,
 * on PostgreSQL, continue through any relay that shares the database.
 *
 * A row holds what the client sees (the response object, the request's input items) and the neutral
 * conversation up to and including this response's output. Keeping the whole conversation in each row makes
 * every stored response self-contained: pruning or deleting an earlier response never breaks a later one.
 * Retention (a maximum count and a maximum age) is enforced on every write.
 */
import { RelayError } from "../core/relay-error.ts";
import type { RelayMessage } from "../core/relay-request.ts";
import type { RelayDatabase } from "./relay-database.ts";
import { SqliteDatabase } from "./sqlite-database.ts";
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

export class ResponseStore {
  private readonly now: () => number;

  /** `path` names the database in the 503 a failing store answers with (the file, or the PostgreSQL server). */
  constructor(private readonly database: RelayDatabase, private readonly options: ResponseStoreOptions & { path?: string }) {
    this.now = options.now ?? Date.now;
  }

  /** A store on its own SQLite database: a file path, or ":memory:" for one that lives as long as the process. */
  static open(options: ResponseStoreOptions & { path: string }): ResponseStore {
    try {
      return new ResponseStore(SqliteDatabase.open(options.path), options);
    } catch (error) {
      throw responseStoreUnavailable(options.path, error);
    }
  }

  /** Stores a response (replacing one with the same id) and prunes what retention no longer allows. */
  async save(response: StoredResponse): Promise<void> {
    await this.guard(() =>
      this.database.transaction(async (database) => {
        await database.run(
          `INSERT INTO responses (id, created_at, response_json, input_items_json, conversation_json, credential_hash, end_user) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, response_json = excluded.response_json,
             input_items_json = excluded.input_items_json, conversation_json = excluded.conversation_json,
             credential_hash = excluded.credential_hash, end_user = excluded.end_user`,
          [
            response.id,
            response.createdAt,
            JSON.stringify(response.response),
            JSON.stringify(response.inputItems),
            JSON.stringify(response.conversation),
            response.owner.credentialHash,
            response.owner.endUser,
          ],
        );
        await database.run("DELETE FROM responses WHERE created_at < ?", [this.now() - this.options.maxAgeMs]);
        // Ties in created_at are broken by id, so the same rows go on both engines.
        await database.run(
          `DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)`.replace(
            "LIMIT -1",
            database.engine === "postgres" ? "LIMIT ALL" : "LIMIT -1",
          ),
          [this.options.maxResponses],
        );
      }),
    );
  }

  /**
   * The stored response, or undefined when it was never stored, was deleted, has expired or belongs to
   * another client: someone else's response is indistinguishable from one that does not exist. An end user
   * is checked when `owner.endUser` is given (continuing a conversation), not for retrieval by credential.
   */
  async get(id: string, owner: { credentialHash: string; endUser?: string }): Promise<StoredResponse | undefined> {
    const [row] = await this.guard(() =>
      this.database.all<ResponseRow>("SELECT * FROM responses WHERE id = ? AND credential_hash = ? AND credential_hash != ''", [id, owner.credentialHash]),
    );
    if (!row || Number(row.created_at) < this.now() - this.options.maxAgeMs) return undefined;
    if (owner.endUser !== undefined && row.end_user !== "" && row.end_user !== owner.endUser) return undefined;
    return {
      id: row.id,
      owner: { credentialHash: row.credential_hash, endUser: row.end_user },
      createdAt: Number(row.created_at),
      response: JSON.parse(row.response_json),
      inputItems: JSON.parse(row.input_items_json),
      conversation: JSON.parse(row.conversation_json),
    };
  }

  /** Deletes a stored response of this client; false when there was none (an expired or someone else's counts as none). */
  async delete(id: string, owner: { credentialHash: string }): Promise<boolean> {
    const deleted = await this.guard(() =>
      this.database.run("DELETE FROM responses WHERE id = ? AND created_at >= ? AND credential_hash = ? AND credential_hash != ''", [
        id,
        this.now() - this.options.maxAgeMs,
        owner.credentialHash,
      ]),
    );
    return deleted > 0;
  }

  /** How many responses are stored (expired ones not yet pruned included). */
  async size(): Promise<number> {
    const [row] = await this.guard(() => this.database.all<{ count: number }>("SELECT count(*) AS count FROM responses"));
    return Number(row?.count ?? 0);
  }

  /** Closes the database (stores that share one close it once, through its owner instead). */
  async close(): Promise<void> {
    await this.database.close();
  }

  /** Runs a database operation; a failure (corrupt file, full disk, permissions) names the database and the way out. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw responseStoreUnavailable(this.options.path ?? "the relay's database", error);
    }
  }
}

/**
 * A 503 for the Responses API when its database cannot be used. The cause goes to the log; the client and the
 * operator learn which database it is and how to recover. The other routes keep working.
 */
export function responseStoreUnavailable(path: string, cause: unknown): RelayError {
  if (cause instanceof RelayError) return cause;
  const newer = /written by a newer agent-relay \([^)]*\)/.exec(String(cause));
  if (newer) {
    return new RelayError("unavailable", `The Responses API store ${path} was ${newer[0]}. Run the newer agent-relay, or give this one another --data-dir.`, {
      code: "response_store_unavailable",
      retryable: false,
      cause,
    });
  }
  return new RelayError(
    "unavailable",
    `The Responses API store is unavailable: the database ${path} cannot be used. ` +
      "Check its permissions and free disk space, or move the file (with its -wal and -shm files) aside and restart agent-relay to start with an empty store.",
    { code: "response_store_unavailable", retryable: false, detail: String(cause), cause },
  );
}
