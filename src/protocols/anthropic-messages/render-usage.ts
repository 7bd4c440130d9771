import type { RelayUsage } from "../../core/relay-event.ts";

/**
 * Backend usage -> the usage of a message_delta event, field for field. The fields the relay cannot know
 * (the split of output tokens, server tool use) are null, as the API sends them when they do not apply.
 */
export function renderAnthropicDeltaUsage(usage: RelayUsage) {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheCreationInputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
    output_tokens: usage.outputTokens,
    output_tokens_details: null,
    server_tool_use: null,
  };
}

/**
 * Backend usage -> the usage of a Message. The cache-write split by lifetime (cache_creation), the region
 * (inference_geo), the service tier and the speed are not reported by every backend: null, never a guess.
 */
export function renderAnthropicUsage(usage: RelayUsage) {
  return { ...renderAnthropicDeltaUsage(usage), cache_creation: null, inference_geo: null, service_tier: null, speed: null };
}
