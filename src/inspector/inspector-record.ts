/**
 * What the inspector keeps of one request: the same record for every protocol and every backend, filled
 * from the hub (the client's request, the neutral request, the neutral event stream, the outcome).
 */
import type { RelayUsage } from "../core/relay-event.ts";
import type { RelayWarning } from "../core/relay-request.ts";

/** One provider the router tried before the one that answered. */
export interface InspectorFallback {
  provider: string;
  model?: string;
  /** Why it was left: the error kind or message. */
  reason: string;
}

/** How the request was routed; filled when the backend reports a route decision on stream-start. */
export interface InspectorRoute {
  provider?: string;
  providerModel?: string;
  fallbacks: InspectorFallback[];
}

/**
 * A tool the backend ran itself (the claude CLI's own tools in agent mode; the client never saw the call).
 * The metadata keeps name and timing; input and result live in the events (a body) and are added when read.
 */
export interface InspectorAgentToolRun {
  id: string;
  name: string;
  /** Milliseconds since the request arrived, when the result came back. */
  atMs: number;
  durationMs: number;
  isError: boolean;
  /** The call this one ran under (a subagent's Task). */
  parentToolCallId?: string;
  /** Added from the stored events when the bodies were kept (secrets masked). */
  input?: unknown;
  result?: unknown;
}

/** Facts kept as JSON beside the indexed columns. */
export interface InspectorDetails {
  warnings: RelayWarning[];
  route?: InspectorRoute;
  /** How the backend served it (the claude CLI backend: warm, live, hold, replay, cold or recycled, and the process). */
  served?: { path: string; details?: Record<string, unknown> };
  agentToolRuns?: InspectorAgentToolRun[];
  /** Request headers after scrubbing. */
  headers: Record<string, string>;
  /** Bodies were not written: the capture mode left them out, or the writer was behind. */
  bodiesSkipped?: "capture-mode" | "writer-behind";
  /** Parameters of the request worth a glance (stream, max tokens, thinking, tool choice). */
  settings?: Record<string, unknown>;
}

/** The metadata row of one request (what the list shows and filters on). */
export interface InspectorSummary {
  /** Monotonic position in the log; the cursor of the list. */
  seq: number;
  /** The relay's request id (x-request-id). */
  id: string;
  /** Unix time in milliseconds. */
  startedAt: number;
  durationMs: number | null;
  ttftMs: number | null;
  protocol: string;
  method: string;
  path: string;
  stream: boolean;
  /** HTTP status; 499 when the client went away. */
  status: number;
  errorKind: string | null;
  errorMessage: string | null;
  requestedModel: string | null;
  responseModel: string | null;
  provider: string | null;
  providerModel: string | null;
  servedPath: string | null;
  /** sha256 of the credential the client presented, never the credential. */
  clientKeyHash: string | null;
  userAgent: string | null;
  remoteAddress: string | null;
  /** Claude Code's session id (x-claude-code-session-id), or the conversation id when the client sent none. */
  sessionId: string | null;
  /** A subagent's id (x-claude-code-agent-id): its requests form a lane under the session. */
  agentId: string | null;
  parentAgentId: string | null;
  /** The relay's conversation fingerprint of the turns before this request's answer. */
  conversationId: string | null;
  /** The Responses API id this request produced, and the one it continued. */
  responseId: string | null;
  previousResponseId: string | null;
  usage: (Omit<RelayUsage, "reasoningTokens"> & { reasoningTokens: number | null }) | null;
  stopReason: string | null;
  /** Client tools the answer called, comma-separated. */
  toolNames: string | null;
  /** Tools the backend ran itself (the claude CLI's own tools in agent mode), comma-separated. */
  agentToolNames: string | null;
  /** The last user text, shortened: what the list shows and free text searches. */
  preview: string | null;
  starred: boolean;
  /** Bytes of this request's bodies as stored (shared blobs not included). */
  bodyBytes: number;
  hasBody: boolean;
}

/** A timestamped neutral event; consecutive deltas of one block are merged, keeping first and last time. */
export interface InspectorEvent {
  /** Milliseconds since the request arrived. */
  atMs: number;
  /** For merged deltas: milliseconds of the last one. */
  untilMs?: number;
  /** For merged deltas: how many were merged. */
  count?: number;
  event: Record<string, unknown>;
}

/** The bodies of one request. */
export interface InspectorBodies {
  /** The request as the client sent it (secrets masked, media by hash). */
  request: unknown;
  /** The folded answer as the neutral response. */
  response: unknown;
  events: InspectorEvent[];
}

/** One request, ready to be written. */
export interface InspectorEntry {
  summary: Omit<InspectorSummary, "seq" | "starred" | "bodyBytes" | "hasBody">;
  details: InspectorDetails;
  bodies?: InspectorBodies;
  /**
   * The conversation fingerprint of this request's turns before its last user turn: equal to the
   * `conversationId` of the request it continues, whose session it joins when the client names none.
   */
  continuesConversation?: string;
}

/** One request as the API returns it. */
export interface InspectorRequestView extends InspectorSummary {
  details: InspectorDetails;
  bodies: InspectorBodies | null;
}
