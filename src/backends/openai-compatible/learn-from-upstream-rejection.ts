/**
 * Parameters a model may refuse with a 400 that the relay can rename or leave out and re-send: OpenAI's
 * reasoning models refuse max_tokens ("Use 'max_completion_tokens' instead"), and models without reasoning
 * refuse reasoning_effort, which Claude Code sends with every request (its effort setting). Learned once per
 * model, so only the first request pays the extra round trip.
 */

/** How requests to one model differ from the default, learned from its provider's refusals. */
export interface ModelAdaptations {
  /** Send the output limit as max_completion_tokens. */
  maxCompletionTokens: boolean;
  /** Leave reasoning_effort (and OpenRouter's reasoning) out. */
  omitReasoningEffort: boolean;
}

export type RefusedParameter = "max_tokens" | "reasoning_effort";

const refusal = /unsupported|unrecognized|not supported|unknown|not allowed|extra (inputs|fields)|not permitted|invalid/i;

/** The parameter a 400 body refuses, among those this request sent, or undefined. */
export function refusedParameterOf(body: string, sent: { maxTokens: boolean; reasoningEffort: boolean }): RefusedParameter | undefined {
  if (!refusal.test(body) && !/max_completion_tokens/.test(body)) return undefined;
  if (sent.maxTokens && /\bmax_tokens\b/.test(body)) return "max_tokens";
  if (sent.reasoningEffort && /reasoning_effort|\breasoning\b/i.test(body)) return "reasoning_effort";
  return undefined;
}
