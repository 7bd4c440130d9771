/**
 * The PostgreSQL engine (Bun's built-in SQL client), chosen with --database-url postgres://... so several
 * relays behind a load balancer share stored responses and one request log.
 */
import { SQL } from "bun";
import { migrations } from "./migrations.ts";
import { numberPlaceholders, type RelayDatabase, type SqlValue } from "./relay-database.ts";

/** An arbitrary constant: the advisory lock every relay takes while it migrates. */
const migrationLockKey = 7_320_114;

type Client = InstanceType<typeof SQL>;

export class PostgresDatabase implements RelayDatabase {
  readonly engine = "postgres" as const;

  private constructor(private readonly client: Client) {}

  /** Connects and migrates. */
  static async open(url: string): Promise<PostgresDatabase> {
    const client = new SQL({ url, max: 8, idleTimeout: 30 });
    try {
      await migratePostgres(client);
    } catch (error) {
      await client.close();
      throw error;
    }
    return new PostgresDatabase(client);
  }

  all<Row>(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    return queryRows<Row>(this.client, sql, params);
  }

  async run(sql: string, params: SqlValue[] = []): Promise<number> {
    const result = await this.client.unsafe(numberPlaceholders(sql), params);
    return Number((result as { count?: number }).count ?? 0);
  }

  async transaction<T>(work: (database: RelayDatabase) => Promise<T>): Promise<T> {
    return (await this.client.begin(async (transaction) => {
      const inside: RelayDatabase = {
        engine: "postgres",
        all: <Row>(sql: string, params: SqlValue[] = []) => queryRows<Row>(transaction as unknown as Client, sql, params),
        run: async (sql: string, params: SqlValue[] = []) => {
          const result = await transaction.unsafe(numberPlaceholders(sql), params);
          return Number((result as { count?: number }).count ?? 0);
        },
        transaction: (nested) => nested(inside),
        sizeBytes: () => this.sizeBytes(),
        close: async () => {},
      };
      return work(inside);
    })) as T;
  }

  async sizeBytes(): Promise<number> {
    const rows = await this.all<{ size: number }>("SELECT pg_database_size(current_database()) AS size");
    return rows[0]?.size ?? 0;
  }

  async close(): Promise<void> {
    await this.client.close({ timeout: 5 });
  }
}

/** Rows with int8 and numeric columns as JS numbers (the driver returns them as strings to be exact). */
async function queryRows<Row>(client: Client, sql: string, params: SqlValue[]): Promise<Row[]> {
  const rows = (await client.unsafe(numberPlaceholders(sql), params)) as Array<Record<string, unknown>>;
  return [...rows].map((row) => {
    for (const [key, value] of Object.entries(row)) {
      if (typeof value === "bigint") row[key] = Number(value);
      else if (typeof value === "string" && numericColumn(key) && /^-?\d+(\.\d+)?$/.test(value)) row[key] = Number(value);
    }
    return row as Row;
  });
}

/** Columns our statements read as numbers (bigint columns, counts and sums come back as strings). */
function numericColumn(name: string): boolean {
  return /(^|_)(at|ms|seq|size|bytes|count|tokens|total|refs|status|starred|stream|version|p\d+|value|requests|errors)$/.test(name);
}

async function migratePostgres(client: Client): Promise<void> {
  await client.begin(async (transaction) => {
    await transaction.unsafe(`SELECT pg_advisory_xact_lock(${migrationLockKey})`);
    await transaction.unsafe("CREATE TABLE IF NOT EXISTS agent_relay_schema (version INTEGER NOT NULL)");
    const rows = (await transaction.unsafe("SELECT version FROM agent_relay_schema")) as Array<{ version: number }>;
    const applied = rows.length === 0 ? 0 : Number(rows[0].version);
    if (applied > migrations.length) {
      throw new Error(`the database was written by a newer agent-relay (schema version ${applied}, this one knows ${migrations.length})`);
    }
    for (let version = applied; version < migrations.length; version++) await transaction.unsafe(migrations[version].postgres);
    if (rows.length === 0) await transaction.unsafe("INSERT INTO agent_relay_schema (version) VALUES ($1)", [migrations.length]);
    else await transaction.unsafe("UPDATE agent_relay_schema SET version = $1", [migrations.length]);
  });
}
