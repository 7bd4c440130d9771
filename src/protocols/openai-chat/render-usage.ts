import type { RelayUsage } from "../../core/relay-event.ts";

/** Backend usage -> OpenAI usage: prompt tokens count every input token, cached ones included. */
export function renderOpenAIUsage(usage: RelayUsage) {
  const promptTokens = usage.inputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: promptTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadInputTokens, cache_write_tokens: usage.cacheCreationInputTokens, audio_tokens: 0 },
    // Reasoning is part of completion_tokens; 0 when the backend does not count it separately (Claude does not).
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
