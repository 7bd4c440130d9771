/**
 * The neutral event stream every backend produces and every protocol renders.
 * Names are our own (text-start/text-delta/text-end, finish) so no renderer leans on one vendor's format.
 */
import type { RelayProviderMetadata } from "./relay-provider-metadata.ts";
import type { RelayWarning } from "./relay-request.ts";

/** Token counts exactly as the backend reported them. */
export interface RelayUsage {
  /** Input tokens that were neither written to nor read from the prompt cache. */
  inputTokens: number;
  /** Generated tokens, thinking included. */
  outputTokens: number;
  /** The part of `outputTokens` spent on reasoning, where the backend reports it separately. */
  reasoningTokens?: number;
  /** Input tokens written to the prompt cache. */
  cacheCreationInputTokens: number;
  /** Input tokens read from the prompt cache. */
  cacheReadInputTokens: number;
}

/** Why generation stopped, in our own words, with the backend's raw value kept. */
export interface RelayFinishReason {
  unified: "stop" | "stop-sequence" | "length" | "tool-calls" | "content-filter" | "pause" | "error" | "other";
  /** The backend's own value, e.g. Anthropic's "end_turn". */
  raw: string | null;
  /** The stop sequence that matched, when unified is "stop-sequence". */
  stopSequence?: string | null;
}

/** A target of a route that was tried before the one that answered, and why it did not answer. */
export interface RelayFallback {
  /** "PROVIDER/MODEL". */
  target: string;
  /** Why it was skipped, e.g. "429 cooling down 3s" or "connection refused". */
  reason: string;
}

/** Where a request went: the provider and model that serve it, and the targets tried before. */
export interface RelayRoute {
  /** The provider's name in the routing file, e.g. "claude" or "openrouter". */
  provider: string;
  /** The provider's type ("claude-cli", "openai", "anthropic", "bedrock"), where known. */
  providerType?: string;
  /** The model the provider was asked for. */
  model: string;
  /** Targets tried before this one, in order. */
  fallbacks: RelayFallback[];
}

/** How a backend served a request, in its own terms; HTTP backends say nothing. */
export interface RelayServed {
  /** A short name to show and filter by; the claude CLI backend: "warm", "live", "hold", "replay", "cold" or "recycled". */
  path: string;
  /** Facts the backend adds (the claude CLI backend: the process id, the turns replayed). */
  details?: Record<string, string | number | boolean>;
}

/** One event of a response in progress. */
export type RelayEvent =
  /**
   * The backend accepted the request and the answer begins. Nothing before it counts as output.
   * `warnings` lists request parameters the backend did not honour; `route` is set by the router;
   * `served` says how the backend served it, for the request log and telemetry.
   */
  | { type: "stream-start"; id: string; model: string; usage: RelayUsage; warnings?: RelayWarning[]; route?: RelayRoute; served?: RelayServed }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  /** A reasoning block begins; redacted reasoning carries its data as provider metadata. */
  | { type: "reasoning-start"; id: string; providerMetadata?: RelayProviderMetadata }
  /** Reasoning text; a delta may be empty when it only carries provider metadata (Anthropic's signature). */
  | { type: "reasoning-delta"; id: string; delta: string; providerMetadata?: RelayProviderMetadata }
  | { type: "reasoning-end"; id: string }
  /** A client tool call begins; arguments follow as JSON fragments. */
  | { type: "tool-input-start"; id: string; toolName: string }
  | { type: "tool-input-delta"; id: string; delta: string }
  | { type: "tool-input-end"; id: string }
  /** The answer is complete. */
  | { type: "finish"; finishReason: RelayFinishReason; usage: RelayUsage; model: string };

/**
 * A tool the backend ran itself while answering (an agent CLI's own tools, such as Read or Bash), reported
 * when its result came back. It is not part of the answer: the client never offered the tool nor sees the call.
 */
export interface RelayBackendToolRun {
  type: "backend-tool-run";
  /** The backend's id of the call. */
  id: string;
  toolName: string;
  /** The arguments, as the model gave them. */
  input: unknown;
  /** The result as the tool returned it: text, or content blocks. */
  result: unknown;
  isError: boolean;
  /** From the call to its result. */
  durationMs: number;
  /** When the result came back, in Unix milliseconds (reports can be passed on later, e.g. held by the router). */
  finishedAt: number;
  /** The call this one was made under (a subagent's tools run under its Task call). */
  parentToolCallId?: string;
}

/** What a backend reports beside its answer, for the request log and telemetry only: the hub never renders it. */
export type RelayBackendReport = RelayBackendToolRun;

/** What a backend's stream yields: the answer's events and, in between, its reports. */
export type RelayBackendEvent = RelayEvent | RelayBackendReport;

/** True for a report, which goes to observers of the hub and never to the client. */
export function isRelayBackendReport(event: RelayBackendEvent): event is RelayBackendReport {
  return event.type === "backend-tool-run";
}

/** The shape of a complete answer, built by folding a RelayEvent stream. */
export interface RelayResponse {
  id: string;
  model: string;
  content: RelayResponsePart[];
  finishReason: RelayFinishReason;
  usage: RelayUsage;
}

/** One block of a complete answer. */
export type RelayResponsePart =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string; providerMetadata?: RelayProviderMetadata }
  | { type: "tool-call"; id: string; name: string; input: string };

export const emptyUsage: RelayUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 0,
};

/** The sum of two usages. */
export function addRelayUsage(a: RelayUsage, b: RelayUsage): RelayUsage {
  const reasoningTokens = a.reasoningTokens === undefined && b.reasoningTokens === undefined ? undefined : (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
    ...(reasoningTokens === undefined ? {} : { reasoningTokens }),
  };
}

/** What remains of a usage after a part of it was already reported (never below zero). */
export function subtractRelayUsage(total: RelayUsage, reported: RelayUsage): RelayUsage {
  const reasoningTokens = total.reasoningTokens === undefined ? undefined : Math.max(0, total.reasoningTokens - (reported.reasoningTokens ?? 0));
  return {
    ...(reasoningTokens === undefined ? {} : { reasoningTokens }),
    inputTokens: Math.max(0, total.inputTokens - reported.inputTokens),
    outputTokens: Math.max(0, total.outputTokens - reported.outputTokens),
    cacheCreationInputTokens: Math.max(0, total.cacheCreationInputTokens - reported.cacheCreationInputTokens),
    cacheReadInputTokens: Math.max(0, total.cacheReadInputTokens - reported.cacheReadInputTokens),
  };
}
