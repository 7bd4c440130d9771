/**
 * The neutral event stream every backend produces and every protocol renders.
 * Names are our own (text-start/text-delta/text-end, finish) so no renderer leans on one vendor's format.
 */

/** Token counts exactly as the backend reported them. */
export interface RelayUsage {
  /** Input tokens that were neither written to nor read from the prompt cache. */
  inputTokens: number;
  /** Generated tokens, thinking included. */
  outputTokens: number;
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

/** One event of a response in progress. */
export type RelayEvent =
  /** The backend accepted the request and the answer begins. Nothing before it counts as output. */
  | { type: "stream-start"; id: string; model: string; usage: RelayUsage }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  | { type: "reasoning-start"; id: string; redactedData?: string }
  | { type: "reasoning-delta"; id: string; delta: string }
  /** The signature that authenticates a reasoning block. */
  | { type: "reasoning-signature"; id: string; signature: string }
  | { type: "reasoning-end"; id: string }
  /** A client tool call begins; arguments follow as JSON fragments. */
  | { type: "tool-input-start"; id: string; toolName: string }
  | { type: "tool-input-delta"; id: string; delta: string }
  | { type: "tool-input-end"; id: string }
  /** The answer is complete. */
  | { type: "finish"; finishReason: RelayFinishReason; usage: RelayUsage; model: string };

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
  | { type: "reasoning"; text: string; signature?: string; redactedData?: string }
  | { type: "tool-call"; id: string; name: string; input: string };

export const emptyUsage: RelayUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheReadInputTokens: 0,
};

/** The sum of two usages. */
export function addRelayUsage(a: RelayUsage, b: RelayUsage): RelayUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
  };
}

/** What remains of a usage after a part of it was already reported (never below zero). */
export function subtractRelayUsage(total: RelayUsage, reported: RelayUsage): RelayUsage {
  return {
    inputTokens: Math.max(0, total.inputTokens - reported.inputTokens),
    outputTokens: Math.max(0, total.outputTokens - reported.outputTokens),
    cacheCreationInputTokens: Math.max(0, total.cacheCreationInputTokens - reported.cacheCreationInputTokens),
    cacheReadInputTokens: Math.max(0, total.cacheReadInputTokens - reported.cacheReadInputTokens),
  };
}
