/**
 * The SQLite engine (bun:sqlite): the default, one file in the relay's data directory. bun:sqlite is
 * synchronous; the async surface only serialises transactions, so no statement of another caller lands
 * inside an open transaction while it awaits.
 */
import { Database } from "bun:sqlite";
import { migrations } from "./migrations.ts";
import type { RelayDatabase, SqlValue } from "./relay-database.ts";

export class SqliteDatabase implements RelayDatabase {
  readonly engine = "sqlite" as const;
  private readonly statements = new Map<string, ReturnType<Database["prepare"]>>();
  /** Resolves when the open transaction (if any) has ended. */
  private turn: Promise<void> = Promise.resolve();

  private constructor(private readonly database: Database, private readonly path: string) {}

  /** Opens (creating and migrating as needed) the database at `path`, or ":memory:". */
  static open(path: string): SqliteDatabase {
    const database = new Database(path, { create: true, strict: true });
    try {
      // WAL lets readers (the inspector page, GET /v1/responses) proceed while the writer commits; NORMAL syncs
      // at checkpoints only, which can lose the last commits on power loss but never corrupts the file.
      database.run("PRAGMA journal_mode = WAL");
      database.run("PRAGMA synchronous = NORMAL");
      database.run("PRAGMA busy_timeout = 5000");
      migrateSqlite(database);
    } catch (error) {
      database.close();
      throw error;
    }
    return new SqliteDatabase(database, path);
  }

  async all<Row>(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    await this.turn;
    return this.allNow<Row>(sql, params);
  }

  async run(sql: string, params: SqlValue[] = []): Promise<number> {
    await this.turn;
    return this.runNow(sql, params);
  }

  async transaction<T>(work: (database: RelayDatabase) => Promise<T>): Promise<T> {
    let release!: () => void;
    const previous = this.turn;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const inside: RelayDatabase = {
      engine: "sqlite",
      all: async <Row>(sql: string, params: SqlValue[] = []) => this.allNow<Row>(sql, params),
      run: async (sql: string, params: SqlValue[] = []) => this.runNow(sql, params),
      transaction: (nested) => nested(inside),
      sizeBytes: () => this.sizeBytes(),
      close: async () => {},
    };
    try {
      this.database.run("BEGIN IMMEDIATE");
      try {
        const result = await work(inside);
        this.database.run("COMMIT");
        return result;
      } catch (error) {
        this.database.run("ROLLBACK");
        throw error;
      }
    } finally {
      release();
    }
  }

  /**
   * The pages in use: what the data takes, free pages left by deletions not counted (the file does not shrink
   * without a VACUUM, so its size would never fall below a budget). Read from the connection, so it also works
   * inside a transaction, where a WAL checkpoint cannot run.
   */
  async sizeBytes(): Promise<number> {
    const row = this.database
      .query<{ size: number }, []>("SELECT (page_count - freelist_count) * page_size AS size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()")
      .get();
    return row?.size ?? 0;
  }

  async close(): Promise<void> {
    await this.turn;
    this.database.close(false);
  }

  private allNow<Row>(sql: string, params: SqlValue[]): Row[] {
    return this.prepared(sql).all(...params) as Row[];
  }

  private runNow(sql: string, params: SqlValue[]): number {
    return this.prepared(sql).run(...params).changes;
  }

  private prepared(sql: string) {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      // A bounded cache: statements are built from a fixed set of shapes, filters add a few variants.
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function migrateSqlite(database: Database): void {
  const applied = database.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
  if (applied > migrations.length) {
    throw new Error(`the database was written by a newer agent-relay (schema version ${applied}, this one knows ${migrations.length})`);
  }
  for (let version = applied; version < migrations.length; version++) {
    database.transaction(() => {
      database.run(migrations[version].sqlite);
      database.run(`PRAGMA user_version = ${version + 1}`);
    })();
  }
}
