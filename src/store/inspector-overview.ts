/** The inspector's overview: requests, tokens, latency, errors, models and tools over a time window. */
import type { RelayDatabase } from "./relay-database.ts";

export interface InspectorOverview {
  since: number;
  bucketMs: number;
  totals: { requests: number; errors: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
  buckets: Array<{ at: number; requests: number; errors: number; inputTokens: number; outputTokens: number }>;
  /** Milliseconds, over requests that finished. */
  latency: { p50: number | null; p95: number | null; p99: number | null };
  timeToFirstToken: { p50: number | null; p95: number | null; p99: number | null };
  models: Array<{ model: string; requests: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number }>;
  /** The most used tools: `client` tools the answers called, `agent` tools the claude CLI ran itself. */
  tools: Array<{ name: string; by: "client" | "agent"; calls: number }>;
}

/**
 * Tool names are counted over this many of the latest rows at most, to keep the page fast on big logs. A
 * request counts once per tool name (calls = requests that called it).
 */
const toolRowsScanned = 20_000;

export async function readInspectorOverview(database: RelayDatabase, options: { since: number; bucketMs: number }): Promise<InspectorOverview> {
  const bucketMs = Math.max(1000, Math.floor(options.bucketMs));
  const since = Math.floor(options.since);
  const sums = `count(*) AS requests, sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors,
    coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens, coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens`;
  type SumRow = { requests: number; errors: number | null; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number };
  const [total] = await database.all<SumRow>(`SELECT ${sums} FROM inspector_requests WHERE started_at >= ?`, [since]);
  const buckets = await database.all<SumRow & { at: number }>(
    `SELECT (started_at / ${bucketMs}) * ${bucketMs} AS at, ${sums} FROM inspector_requests WHERE started_at >= ? GROUP BY 1 ORDER BY 1`,
    [since],
  );
  const models = await database.all<SumRow & { model: string | null }>(
    `SELECT coalesce(response_model, requested_model, '') AS model, ${sums} FROM inspector_requests WHERE started_at >= ? GROUP BY 1 ORDER BY 2 DESC LIMIT 20`,
    [since],
  );
  const requests = Number(total?.requests ?? 0);
  const toolRows = await database.all<{ tool_names: string | null; agent_tool_names: string | null }>(
    `SELECT tool_names, agent_tool_names FROM inspector_requests
     WHERE started_at >= ? AND (tool_names IS NOT NULL OR agent_tool_names IS NOT NULL) ORDER BY seq DESC LIMIT ?`,
    [since, toolRowsScanned],
  );
  const toolCounts = new Map<string, { name: string; by: "client" | "agent"; calls: number }>();
  const count = (names: string | null, by: "client" | "agent") => {
    for (const name of names?.split(",").filter(Boolean) ?? []) {
      const key = `${by}:${name}`;
      const tool = toolCounts.get(key) ?? { name, by, calls: 0 };
      tool.calls++;
      toolCounts.set(key, tool);
    }
  };
  for (const row of toolRows) {
    count(row.tool_names, "client");
    count(row.agent_tool_names, "agent");
  }
  return {
    since,
    bucketMs,
    totals: {
      requests,
      errors: Number(total?.errors ?? 0),
      inputTokens: Number(total?.input_tokens ?? 0),
      outputTokens: Number(total?.output_tokens ?? 0),
      cacheReadTokens: Number(total?.cache_read_tokens ?? 0),
      cacheWriteTokens: Number(total?.cache_write_tokens ?? 0),
    },
    buckets: everyBucket(since, bucketMs, buckets),
    latency: await percentiles(database, "duration_ms", since),
    timeToFirstToken: await percentiles(database, "ttft_ms", since),
    models: models.map((row) => ({
      model: row.model ?? "",
      requests: Number(row.requests),
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      cacheReadTokens: Number(row.cache_read_tokens),
      cacheWriteTokens: Number(row.cache_write_tokens),
    })),
    tools: [...toolCounts.values()].sort((a, b) => b.calls - a.calls).slice(0, 20),
  };
}

/** One bucket per interval from `since` to now, empty ones included, so a chart's x axis is time. */
function everyBucket(since: number, bucketMs: number, rows: Array<{ at: number; requests: number; errors: number | null; input_tokens: number; output_tokens: number }>) {
  const byStart = new Map(rows.map((row) => [Number(row.at), row]));
  const first = Math.floor(since / bucketMs) * bucketMs;
  const result: InspectorOverview["buckets"] = [];
  for (let at = first; at <= Date.now() && result.length < 1000; at += bucketMs) {
    const row = byStart.get(at);
    result.push({ at, requests: Number(row?.requests ?? 0), errors: Number(row?.errors ?? 0), inputTokens: Number(row?.input_tokens ?? 0), outputTokens: Number(row?.output_tokens ?? 0) });
  }
  return result;
}

async function percentiles(database: RelayDatabase, column: "duration_ms" | "ttft_ms", since: number) {
  const [counted] = await database.all<{ count: number }>(`SELECT count(*) AS count FROM inspector_requests WHERE started_at >= ? AND ${column} IS NOT NULL`, [since]);
  const count = Number(counted?.count ?? 0);
  const at = async (fraction: number) => {
    if (count === 0) return null;
    const offset = Math.min(count - 1, Math.floor(fraction * count));
    const [row] = await database.all<{ value: number }>(
      `SELECT ${column} AS value FROM inspector_requests WHERE started_at >= ? AND ${column} IS NOT NULL ORDER BY ${column} LIMIT 1 OFFSET ?`,
      [since, offset],
    );
    return row ? Number(row.value) : null;
  };
  return { p50: await at(0.5), p95: await at(0.95), p99: await at(0.99) };
}
