/** A complete neutral response -> Anthropic Message. */
import type { RelayResponse, RelayResponsePart } from "../../core/relay-event.ts";
import { mapAnthropicStopReasonOut } from "./map-stop-reason.ts";
import { renderAnthropicUsage } from "./render-usage.ts";

function renderBlock(part: RelayResponsePart) {
  switch (part.type) {
    case "text":
      return { type: "text" as const, text: part.text, citations: null };
    case "reasoning":
      return part.providerMetadata?.anthropic?.redactedData !== undefined
        ? { type: "redacted_thinking" as const, data: part.providerMetadata.anthropic.redactedData }
        : { type: "thinking" as const, thinking: part.text, signature: part.providerMetadata?.anthropic?.signature ?? "" };
    case "tool-call":
      // caller: the model called the tool itself (not from code execution), as the API says of every client tool call.
      return { type: "tool_use" as const, id: part.id, name: part.name, input: part.input ? JSON.parse(part.input) : {}, caller: { type: "direct" as const } };
    default: {
      const unreachable: never = part;
      throw new Error(`unknown response part ${JSON.stringify(unreachable)}`);
    }
  }
}

export function renderAnthropicMessagesResponse(response: RelayResponse, options: { id: string }) {
  return {
    id: options.id,
    type: "message" as const,
    role: "assistant" as const,
    model: response.model,
    content: response.content.map(renderBlock),
    stop_reason: mapAnthropicStopReasonOut(response.finishReason),
    stop_sequence: response.finishReason.stopSequence ?? null,
    // Fields of every Message that no backend of the relay fills: no code-execution container, no refusal details, no diagnostics.
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: renderAnthropicUsage(response.usage),
  };
}
