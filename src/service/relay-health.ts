/**
 * Reads the relay's GET /health, once (status) or until it answers (install).
 */
export interface RelayHealth {
  status: string;
  reason?: string;
  version?: string;
  pid?: number;
  uptime_seconds?: number;
  /** Each configured provider; the claude CLI's (type claude-cli) has its path and version. */
  providers?: Record<string, { type?: string; ok?: boolean; path?: string | null; version?: string | null }>;
}

/** The health document, or the reason there is none (connection refused, timeout, not JSON). */
export async function fetchRelayHealth(url: string, timeoutMs = 2000): Promise<{ health: RelayHealth } | { error: string }> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { error: `GET /health answered ${response.status}` };
    return { health: (await response.json()) as RelayHealth };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: /timed out|timeout/i.test(message) ? `no answer within ${timeoutMs} ms` : `not reachable (${message})` };
  }
}

/**
 * Polls /health until it answers and `accept` takes the answer, or the time is up (then the last answer or error).
 */
export async function waitForRelayHealth(
  url: string,
  options: { timeoutMs: number; intervalMs?: number; accept?: (health: RelayHealth) => Promise<boolean> },
): Promise<{ health: RelayHealth; accepted: boolean } | { error: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let last: { health: RelayHealth; accepted: boolean } | { error: string } = { error: "not checked" };
  while (Date.now() < deadline) {
    const answer = await fetchRelayHealth(url, Math.max(250, Math.min(2000, deadline - Date.now())));
    last = "health" in answer ? { health: answer.health, accepted: options.accept ? await options.accept(answer.health) : true } : answer;
    if ("health" in last && last.accepted) return last;
    await Bun.sleep(options.intervalMs ?? 250);
  }
  return last;
}

/** "3m 12s", "2h 5m", "4d 1h". */
export function formatUptime(seconds: number): string {
  const units: Array<[string, number]> = [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(seconds));
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (parts.length === 0 && name === "s")) parts.push(`${count}${name}`);
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** One line per fact, for `service status` and `service install`. */
export function describeRelayHealth(url: string, result: { health: RelayHealth } | { error: string }): string[] {
  if ("error" in result) return [`relay:    ${url} ${result.error}`];
  const { health } = result;
  const lines = [
    `relay:    ${url} ${health.status}, version ${health.version ?? "?"}, pid ${health.pid ?? "?"}, up ${formatUptime(health.uptime_seconds ?? 0)}`,
  ];
  const backend = Object.values(health.providers ?? {}).find((provider) => provider.type === "claude-cli");
  if (backend?.path) lines.push(`claude:   ${backend.path}${backend.version ? ` (${backend.version})` : ""}`);
  else lines.push(`claude:   not found${health.reason ? `: ${health.reason}` : ""}`);
  return lines;
}
