import type { RelayUsage } from "../../core/relay-event.ts";
import type { OpenAIChatUsage } from "./openai-chat-wire.ts";

/**
 * Chat Completions usage -> neutral usage. OpenAI's prompt_tokens includes cached tokens (and OpenRouter's
 * cache writes); neutral input tokens do not, so an Anthropic client sees input_tokens without cache reads.
 * DeepSeek reports its cache hits as prompt_cache_hit_tokens instead.
 */
export function mapOpenAIUsage(usage: OpenAIChatUsage | null | undefined): RelayUsage {
  if (!usage) return { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  const cacheRead = usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ?? 0;
  const cacheWrite = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const prompt = usage.prompt_tokens ?? (usage.prompt_cache_hit_tokens ?? 0) + (usage.prompt_cache_miss_tokens ?? 0);
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: Math.max(0, prompt - cacheRead - cacheWrite),
    outputTokens: usage.completion_tokens ?? 0,
    ...(typeof reasoningTokens === "number" ? { reasoningTokens } : {}),
    cacheCreationInputTokens: cacheWrite,
    cacheReadInputTokens: cacheRead,
  };
}
