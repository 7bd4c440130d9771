/** Anthropic Messages usage (the API's, Bedrock's and the claude CLI's) <-> neutral usage. */
import type { RelayUsage } from "../../core/relay-event.ts";

/** Usage as the Messages API reports it: input_tokens excludes cache reads and writes. */
export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Anthropic usage -> neutral usage; the fields mean the same, so nothing is re-estimated. */
export function mapAnthropicUsage(usage: AnthropicUsage | undefined): RelayUsage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheCreationInputTokens: usage?.cache_creation_input_tokens ?? 0,
    cacheReadInputTokens: usage?.cache_read_input_tokens ?? 0,
  };
}
