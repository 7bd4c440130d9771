/**
 * Reads one series from the relay's Prometheus text, e.g. `agent_relay_warm_pool_requests_total{result="hit"}`:
 * its value, or 0 when the relay has not written it yet (a counter that never moved).
 */
export async function metricValue(relayUrl: string, series: string, options: { apiKey?: string } = {}): Promise<number> {
  const response = await fetch(`${relayUrl}/metrics`, { headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {} });
  // A refused request must not read as "0": that would make a test pass for the wrong reason.
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
