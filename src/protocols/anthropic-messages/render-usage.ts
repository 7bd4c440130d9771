import type { RelayUsage } from "../../core/relay-event.ts";

/** Backend usage -> Anthropic usage, field for field. */
export function renderAnthropicUsage(usage: RelayUsage) {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheCreationInputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
    output_tokens: usage.outputTokens,
  };
}
