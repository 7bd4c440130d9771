import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { privateFile } from "../util/private-files.ts";
import { PostgresDatabase } from "./postgres-database.ts";
import type { RelayDatabase } from "./relay-database.ts";
import { SqliteDatabase } from "./sqlite-database.ts";

/** The SQLite file in the data directory. */
export const sqliteFileName = "agent-relay.sqlite";
/** The file relays before the inspector kept stored responses in; it becomes the new file on first start. */
const legacyFileName = "responses.sqlite";

/** Opens PostgreSQL when a postgres:// URL is given, else SQLite in the data directory; migrates either. */
export async function openRelayDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<RelayDatabase> {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//i.test(options.databaseUrl)) throw new Error("--database-url must be a postgres:// or postgresql:// URL");
    return PostgresDatabase.open(options.databaseUrl);
  }
  const path = join(options.dataDir, sqliteFileName);
  const legacy = join(options.dataDir, legacyFileName);
  if (!existsSync(path) && existsSync(legacy)) {
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(legacy + suffix)) renameSync(legacy + suffix, path + suffix);
  }
  return SqliteDatabase.open(privateFile(path));
}
