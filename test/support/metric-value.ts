/**
 * Reads one series from the relay's Prometheus text, e.g. `agent_relay_warm_pool_requests_total{result="hit"}`:
 * its value, or 0 when the relay has not written it yet (a counter that never moved).
 */
export async function metricValue(relayUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${relayUrl}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
