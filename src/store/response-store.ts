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

export class ResponseStore {
  private readonly now: () => number;

  constructor(private readonly database: RelayDatabase, private readonly options: ResponseStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A store on its own SQLite database: a file path, or ":memory:" for one that lives as long as the process. */
  static open(options: ResponseStoreOptions & { path: string }): ResponseStore {
    return new ResponseStore(SqliteDatabase.open(options.path), options);
  }

  /** Stores a response (replacing one with the same id) and prunes what retention no longer allows. */
  async save(response: StoredResponse): Promise<void> {
    await this.database.transaction(async (database) => {
      await database.run(
        `INSERT INTO responses (id, created_at, response_json, input_items_json, conversation_json) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, response_json = excluded.response_json,
           input_items_json = excluded.input_items_json, conversation_json = excluded.conversation_json`,
        [response.id, response.createdAt, JSON.stringify(response.response), JSON.stringify(response.inputItems), JSON.stringify(response.conversation)],
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
    });
  }

  /** The stored response, or undefined when it was never stored, was deleted or has expired. */
  async get(id: string): Promise<StoredResponse | undefined> {
    const [row] = await this.database.all<ResponseRow>("SELECT * FROM responses WHERE id = ?", [id]);
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
  async delete(id: string): Promise<boolean> {
    return (await this.database.run("DELETE FROM responses WHERE id = ? AND created_at >= ?", [id, this.now() - this.options.maxAgeMs])) > 0;
  }

  /** How many responses are stored (expired ones not yet pruned included). */
  async size(): Promise<number> {
    const [row] = await this.database.all<{ count: number }>("SELECT count(*) AS count FROM responses");
    return Number(row?.count ?? 0);
  }

  /** Closes the database (stores that share one close it once, through its owner instead). */
  async close(): Promise<void> {
    await this.database.close();
  }
}
