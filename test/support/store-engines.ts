/**
 * The storage engines every store test runs on: SQLite in a temporary directory, and a real PostgreSQL
 * server started for the test file (skipped with a notice outside CI when PostgreSQL is not installed;
 * in CI a missing PostgreSQL fails).
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresDatabase } from "../../src/store/postgres-database.ts";
import type { RelayDatabase } from "../../src/store/relay-database.ts";
import { SqliteDatabase } from "../../src/store/sqlite-database.ts";
import { findPostgresBin, startPostgresServer, type PostgresServer } from "./postgres-server.ts";

export interface StoreEngine {
  name: "sqlite" | "postgres";
  /** A fresh, migrated, empty database. */
  open(): Promise<RelayDatabase>;
  /** For PostgreSQL: the URL of a fresh database (two relays can share it). */
  databaseUrl?: () => Promise<string>;
}

const postgresAvailable = findPostgresBin() !== undefined || process.env.CI === "true";
if (!postgresAvailable) console.warn("PostgreSQL is not installed: the PostgreSQL storage tests are skipped (CI installs it)");

/**
 * The engines for one test file: call at the top level of the file. A PostgreSQL server is started on first
 * use and stopped after the file's tests.
 */
export function useStoreEngines(): StoreEngine[] {
  let server: Promise<PostgresServer> | undefined;
  const directories: string[] = [];
  afterAll(async () => {
    if (server) await (await server).stop();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });
  const postgresDatabaseUrl = async () => {
    server ??= startPostgresServer();
    return (await server).createDatabase();
  };
  const sqlite: StoreEngine = {
    name: "sqlite",
    async open() {
      const directory = mkdtempSync(join(tmpdir(), "agent-relay-store-"));
      directories.push(directory);
      return SqliteDatabase.open(join(directory, "agent-relay.sqlite"));
    },
  };
  const postgres: StoreEngine = { name: "postgres", open: async () => PostgresDatabase.open(await postgresDatabaseUrl()), databaseUrl: postgresDatabaseUrl };
  return postgresAvailable ? [sqlite, postgres] : [sqlite];
}
