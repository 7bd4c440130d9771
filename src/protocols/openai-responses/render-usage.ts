import type { RelayUsage } from "../../core/relay-event.ts";

/** Backend usage -> Responses usage: input_tokens counts every input token, cache reads and writes included. */
export function renderOpenAIResponsesUsage(usage: RelayUsage) {
  const inputTokens = usage.inputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens;
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadInputTokens, cache_write_tokens: usage.cacheCreationInputTokens },
    output_tokens: usage.outputTokens,
    // Claude reports thinking inside output_tokens without a separate count.
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + usage.outputTokens,
  };
}

export type OpenAIResponsesUsage = ReturnType<typeof renderOpenAIResponsesUsage>;
