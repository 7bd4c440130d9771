/**
 * Runs the relay as its own process (`bun src/cli.ts ...`), so its RSS is its own and not the benchmark's,
 * and reads its JSON log lines from stderr. The URL comes from the "agent-relay listening" line, or, when
 * the log level hides that line, from a free port chosen here and polled on /health.
 */
import type { Subprocess } from "bun";

export interface RelayProcess {
  url: string;
  pid: number;
  argv: string[];
  /** Log lines by level, counted while the relay runs. */
  logCounts: Record<string, number>;
  /** Log lines at warn or above (the first 20), to show in the report. */
  problems: string[];
  stop(): Promise<number>;
}

export async function startRelayProcess(options: {
  bun: string;
  /** Options for bun itself, e.g. --cpu-prof. */
  bunArgs?: string[];
  cliPath: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  startTimeoutMs?: number;
}): Promise<RelayProcess> {
  const argv = [options.bun, ...(options.bunArgs ?? []), options.cliPath, ...options.args];
  const child: Subprocess<"ignore", "ignore", "pipe"> = Bun.spawn(argv, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const logCounts: Record<string, number> = {};
  const problems: string[] = [];
  let resolveUrl!: (url: string) => void;
  const urlKnown = new Promise<string>((resolve) => (resolveUrl = resolve));
  const earlyLines: string[] = [];

  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of child.stderr) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (earlyLines.length < 50) earlyLines.push(line);
        if (process.env.BENCH_DEBUG) process.stderr.write(`relay: ${line}\n`);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line);
        } catch {
          logCounts.unparsed = (logCounts.unparsed ?? 0) + 1;
          if (problems.length < 20) problems.push(line);
          continue;
        }
        const level = String(entry.level);
        logCounts[level] = (logCounts[level] ?? 0) + 1;
        if ((level === "warn" || level === "error") && problems.length < 20) problems.push(line);
        if (entry.msg === "agent-relay listening" && typeof entry.url === "string") resolveUrl(entry.url);
      }
    }
  })();

  // --port 0 is resolved from the log line; any other port is polled, in case the log level hides the line.
  const portIndex = options.args.indexOf("--port");
  const fixedPort = portIndex >= 0 ? Number(options.args[portIndex + 1]) : 0;
  if (fixedPort > 0) {
    const hostIndex = options.args.indexOf("--host");
    const host = hostIndex >= 0 ? options.args[hostIndex + 1] : "127.0.0.1";
    void (async () => {
      while (child.exitCode === null) {
        const up = await fetch(`http://${host}:${fixedPort}/health`).then((response) => response.ok, () => false);
        if (up) return resolveUrl(`http://${host}:${fixedPort}`);
        await Bun.sleep(20);
      }
    })();
  }
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  let timer: Timer | undefined;
  const url = await Promise.race([
    urlKnown,
    child.exited.then((code) => {
      throw new Error(`the relay exited with ${code} before listening:\n${earlyLines.join("\n")}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the relay did not log its URL within ${timeoutMs} ms:\n${earlyLines.join("\n")}`)), timeoutMs);
    }),
  ]).catch((error) => {
    child.kill("SIGKILL");
    throw error;
  }).finally(() => clearTimeout(timer));

  return {
    url,
    pid: child.pid,
    argv,
    logCounts,
    problems,
    async stop() {
      child.kill("SIGTERM");
      let timer: Timer | undefined;
      const code = await Promise.race([child.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 15_000)))]);
      clearTimeout(timer);
      if (code === null) {
        child.kill("SIGKILL");
        return child.exited;
      }
      return code;
    },
  };
}

/** A TCP port that was free a moment ago (for relays whose log level hides the line with the URL). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
