import type { RelayUsage } from "../../core/relay-event.ts";

/** Backend usage -> Responses usage: input_tokens counts every input token, cache reads and writes included. */
export function renderOpenAIResponsesUsage(usage: RelayUsage) {
  const inputTokens = usage.inputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens;
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadInputTokens, cache_write_tokens: usage.cacheCreationInputTokens },
    output_tokens: usage.outputTokens,
    // Reasoning is part of output_tokens; 0 when the backend does not count it separately (Claude does not).
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: inputTokens + usage.outputTokens,
  };
}

export type OpenAIResponsesUsage = ReturnType<typeof renderOpenAIResponsesUsage>;
