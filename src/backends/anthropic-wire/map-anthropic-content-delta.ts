/** One Anthropic content_block_delta -> the neutral events it carries for the block `id`. */
import type { RelayEvent } from "../../core/relay-event.ts";

/** The delta of a content_block_delta stream event. */
export interface AnthropicContentDelta {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  partial_json?: string;
}

export function mapAnthropicContentDelta(delta: AnthropicContentDelta, id: string): RelayEvent[] {
  switch (delta.type) {
    case "text_delta":
      return delta.text ? [{ type: "text-delta", id, delta: delta.text }] : [];
    case "thinking_delta":
      return delta.thinking ? [{ type: "reasoning-delta", id, delta: delta.thinking }] : [];
    case "signature_delta":
      // The signature authenticates the thinking block; it is data for the upstream, not text for the reader.
      return delta.signature ? [{ type: "reasoning-delta", id, delta: "", providerMetadata: { anthropic: { signature: delta.signature } } }] : [];
    case "input_json_delta":
      return delta.partial_json ? [{ type: "tool-input-delta", id, delta: delta.partial_json }] : [];
    default:
      // citations_delta and newer delta types carry nothing the neutral events hold yet.
      return [];
  }
}
