/** Neutral events -> Anthropic Messages SSE events, named and ordered as the API sends them. */
import { incompleteResponseError, toRelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import type { SseFrame } from "../../server/sse.ts";
import { renderAnthropicErrorObject } from "./render-error.ts";
import { mapAnthropicStopReasonOut } from "./map-stop-reason.ts";
import { renderAnthropicDeltaUsage, renderAnthropicUsage } from "./render-usage.ts";

export interface AnthropicStreamOptions {
  id: string;
  /** The model named until the backend reports the real one. */
  model: string;
}

function frame(data: { type: string; [key: string]: unknown }): SseFrame {
  return { event: data.type, data };
}

export async function* renderAnthropicMessagesStream(events: AsyncIterable<RelayEvent>, options: AnthropicStreamOptions): AsyncGenerator<SseFrame> {
  const indexes = new Map<string, number>();
  let nextIndex = 0;
  let started = false;
  const start = function* (model: string, usage?: ReturnType<typeof renderAnthropicUsage>) {
    if (started) return;
    started = true;
    yield frame({
      type: "message_start",
      message: {
        id: options.id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        container: null,
        diagnostics: null,
        usage: usage ?? renderAnthropicUsage({ inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }),
      },
    });
    yield frame({ type: "ping" });
  };
  const open = function* (id: string, contentBlock: Record<string, unknown>) {
    yield* start(options.model);
    const index = nextIndex++;
    indexes.set(id, index);
    yield frame({ type: "content_block_start", index, content_block: contentBlock });
  };
  const close = function* (id: string) {
    const index = indexes.get(id);
    if (index === undefined) return;
    indexes.delete(id);
    yield frame({ type: "content_block_stop", index });
  };
  const delta = function* (id: string, value: Record<string, unknown>) {
    const index = indexes.get(id);
    if (index !== undefined) yield frame({ type: "content_block_delta", index, delta: value });
  };

  try {
    for await (const event of events) {
      switch (event.type) {
        case "stream-start":
          yield* start(event.model || options.model, { ...renderAnthropicUsage(event.usage), output_tokens: event.usage.outputTokens || 1 });
          break;
        case "text-start":
          yield* open(event.id, { type: "text", text: "" });
          break;
        case "text-delta":
          yield* delta(event.id, { type: "text_delta", text: event.delta });
          break;
        case "reasoning-start":
        {
          const redactedData = event.providerMetadata?.anthropic?.redactedData;
          yield* open(event.id, redactedData !== undefined ? { type: "redacted_thinking", data: redactedData } : { type: "thinking", thinking: "", signature: "" });
          break;
        }
        case "reasoning-delta": {
          if (event.delta) yield* delta(event.id, { type: "thinking_delta", thinking: event.delta });
          const signature = event.providerMetadata?.anthropic?.signature;
          if (signature) yield* delta(event.id, { type: "signature_delta", signature });
          break;
        }
        case "tool-input-start":
          yield* open(event.id, { type: "tool_use", id: event.id, name: event.toolName, input: {}, caller: { type: "direct" } });
          break;
        case "tool-input-delta":
          yield* delta(event.id, { type: "input_json_delta", partial_json: event.delta });
          break;
        case "text-end":
        case "reasoning-end":
        case "tool-input-end":
          yield* close(event.id);
          break;
        case "finish":
          yield* start(event.model || options.model);
          for (const id of [...indexes.keys()]) yield* close(id);
          yield frame({
            type: "message_delta",
            delta: { stop_reason: mapAnthropicStopReasonOut(event.finishReason), stop_sequence: event.finishReason.stopSequence ?? null, stop_details: null, container: null },
            usage: renderAnthropicDeltaUsage(event.usage),
          });
          yield frame({ type: "message_stop" });
          return;
        default: {
          const unreachable: never = event;
          throw new Error(`unhandled relay event ${JSON.stringify(unreachable)}`);
        }
      }
    }
    throw incompleteResponseError();
  } catch (error) {
    yield frame(renderAnthropicErrorObject(toRelayError(error)));
  }
}
