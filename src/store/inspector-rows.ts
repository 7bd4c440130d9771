import type { InspectorSummary } from "../inspector/inspector-record.ts";

/** A row of inspector_requests as both engines return it. */
export interface SummaryRow {
  seq: number;
  id: string;
  started_at: number;
  duration_ms: number | null;
  ttft_ms: number | null;
  protocol: string;
  method: string;
  path: string;
  stream: number;
  status: number;
  error_kind: string | null;
  error_message: string | null;
  requested_model: string | null;
  response_model: string | null;
  provider: string | null;
  provider_model: string | null;
  served_path: string | null;
  client_key_hash: string | null;
  user_agent: string | null;
  remote_address: string | null;
  session_id: string | null;
  agent_id: string | null;
  parent_agent_id: string | null;
  conversation_id: string | null;
  response_id: string | null;
  previous_response_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_write_tokens: number | null;
  cache_read_tokens: number | null;
  reasoning_tokens: number | null;
  stop_reason: string | null;
  tool_names: string | null;
  agent_tool_names: string | null;
  preview: string | null;
  starred: number;
  body_bytes: number;
  has_body: number;
}

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

export function summaryFromRow(row: SummaryRow): InspectorSummary {
  const hasUsage = row.input_tokens !== null || row.output_tokens !== null;
  return {
    seq: Number(row.seq),
    id: row.id,
    startedAt: Number(row.started_at),
    durationMs: numberOrNull(row.duration_ms),
    ttftMs: numberOrNull(row.ttft_ms),
    protocol: row.protocol,
    method: row.method,
    path: row.path,
    stream: Boolean(Number(row.stream)),
    status: Number(row.status),
    errorKind: row.error_kind,
    errorMessage: row.error_message,
    requestedModel: row.requested_model,
    responseModel: row.response_model,
    provider: row.provider,
    providerModel: row.provider_model,
    servedPath: row.served_path,
    clientKeyHash: row.client_key_hash,
    userAgent: row.user_agent,
    remoteAddress: row.remote_address,
    sessionId: row.session_id,
    agentId: row.agent_id,
    parentAgentId: row.parent_agent_id,
    conversationId: row.conversation_id,
    responseId: row.response_id,
    previousResponseId: row.previous_response_id,
    usage: hasUsage
      ? {
          inputTokens: Number(row.input_tokens ?? 0),
          outputTokens: Number(row.output_tokens ?? 0),
          cacheCreationInputTokens: Number(row.cache_write_tokens ?? 0),
          cacheReadInputTokens: Number(row.cache_read_tokens ?? 0),
          reasoningTokens: numberOrNull(row.reasoning_tokens),
        }
      : null,
    stopReason: row.stop_reason,
    toolNames: row.tool_names,
    agentToolNames: row.agent_tool_names,
    preview: row.preview,
    starred: Boolean(Number(row.starred)),
    bodyBytes: Number(row.body_bytes),
    hasBody: Boolean(Number(row.has_body)),
  };
}
