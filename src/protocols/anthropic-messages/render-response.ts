/** A complete neutral response -> Anthropic Message. */
import type { RelayResponse, RelayResponsePart } from "../../core/relay-event.ts";
import { mapAnthropicStopReasonOut } from "./map-stop-reason.ts";
import { renderAnthropicUsage } from "./render-usage.ts";

function renderBlock(part: RelayResponsePart) {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text, citations: null };
    case "reasoning":
      return part.providerMetadata?.anthropic?.redactedData !== undefined
        ? { type: "redacted_thinking", data: part.providerMetadata.anthropic.redactedData }
        : { type: "thinking", thinking: part.text, signature: part.providerMetadata?.anthropic?.signature ?? "" };
    case "tool-call":
      return { type: "tool_use", id: part.id, name: part.name, input: part.input ? JSON.parse(part.input) : {} };
    default: {
      const unreachable: never = part;
      throw new Error(`unknown response part ${JSON.stringify(unreachable)}`);
    }
  }
}

export function renderAnthropicMessagesResponse(response: RelayResponse, options: { id: string }) {
  return {
    id: options.id,
    type: "message",
    role: "assistant",
    model: response.model,
    content: response.content.map(renderBlock),
    stop_reason: mapAnthropicStopReasonOut(response.finishReason),
    stop_sequence: response.finishReason.stopSequence ?? null,
    usage: renderAnthropicUsage(response.usage),
  };
}
