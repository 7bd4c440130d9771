import type { RelayUsage } from "../../core/relay-event.ts";

/** Backend usage -> OpenAI usage: prompt tokens count every input token, cached ones included. */
export function renderOpenAIUsage(usage: RelayUsage) {
  const promptTokens = usage.inputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: promptTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadInputTokens, cache_write_tokens: usage.cacheCreationInputTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
