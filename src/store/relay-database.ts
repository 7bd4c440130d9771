/**
 * The one storage interface of the relay: a small async SQL surface that SQLite (bun:sqlite, the default) and
 * PostgreSQL (Bun's built-in SQL client) both implement, so every store is written once.
 *
 * Statements use `?` placeholders and SQL both engines accept (ON CONFLICT, WITH RECURSIVE, LIMIT); the
 * PostgreSQL side numbers the placeholders. Numbers come back as JS numbers on both engines.
 */

/** A value bound to a placeholder. */
export type SqlValue = string | number | null;

/** Which engine a database runs on, for the few statements that differ. */
export type DatabaseEngine = "sqlite" | "postgres";

export interface RelayDatabase {
  readonly engine: DatabaseEngine;
  /** All rows of a query. */
  all<Row>(sql: string, params?: SqlValue[]): Promise<Row[]>;
  /** Runs a statement and says how many rows it changed. */
  run(sql: string, params?: SqlValue[]): Promise<number>;
  /** Runs `work` in one transaction; statements of other callers wait until it ends. */
  transaction<T>(work: (database: RelayDatabase) => Promise<T>): Promise<T>;
  /** The bytes the database uses on disk, where the engine can tell. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** A schema change, written for each engine. */
export interface Migration {
  sqlite: string;
  postgres: string;
}

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2, ...` (our statements never hold a literal `?`). */
export function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}
