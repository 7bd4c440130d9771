/**
 * A throwaway PostgreSQL server for tests: the distribution's binaries (Debian's postgresql, which .ci/run
 * installs), a cluster in a temporary directory, a free loopback port, trust authentication. As root, the
 * server runs as the `postgres` system user, since PostgreSQL refuses to run as root.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresServer {
  /** A postgres:// URL of a fresh database. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) if (existsSync(join(root, version, "bin", "initdb"))) return join(root, version, "bin");
  return undefined;
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function run(command: string[], asUser?: string): Promise<void> {
  const full = asUser ? ["runuser", "-u", asUser, "--", ...command] : command;
  const child = Bun.spawn(full, { stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`${command[0]} failed (${code}): ${stderr.slice(-2000)}`);
}

/**
 * Starts a server. With `keepDirectory` (benchmarks) the cluster lives in that directory and survives
 * `stop()`: a later call with the same directory starts it again with its databases (`reused` says so).
 */
export async function startPostgresServer(settings: { keepDirectory?: string } = {}): Promise<PostgresServer & { reused: boolean }> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)");
  const asUser = process.getuid?.() === 0 ? "postgres" : undefined;
  const keep = settings.keepDirectory;
  const reused = keep !== undefined && existsSync(join(keep, "data", "PG_VERSION"));
  if (keep) mkdirSync(keep, { recursive: true });
  const directory = keep ?? mkdtempSync(join(tmpdir(), "agent-relay-postgres-"));
  chmodSync(directory, 0o755);
  const data = join(directory, "data");
  if (asUser) {
    const passwd = await Bun.file("/etc/passwd").text();
    const entry = passwd.split("\n").find((line) => line.startsWith(`${asUser}:`))!.split(":");
    chownSync(directory, Number(entry[2]), Number(entry[3]));
  }
  if (!reused) await run([join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"], asUser);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await run([join(bin, "pg_ctl"), "-D", data, "-l", join(directory, "log"), "-o", options, "-w", "-t", "60", "start"], asUser);
  const admin = new Bun.SQL({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, max: 1 });
  let databases = 0;
  return {
    reused,
    async createDatabase() {
      const name = `relay_test_${++databases}`;
      const [exists] = reused ? await admin.unsafe(`SELECT 1 FROM pg_database WHERE datname = '${name}'`) : [];
      if (!exists) await admin.unsafe(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.close();
      await run([join(bin, "pg_ctl"), "-D", data, "-m", keep ? "fast" : "immediate", "-w", "stop"], asUser).catch(() => {});
      if (!keep) rmSync(directory, { recursive: true, force: true });
    },
  };
}
