/** Neutral events -> OpenAI chat.completion.chunk SSE frames, ending with `data: [DONE]`. */
import { incompleteResponseError, toRelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import type { SseFrame } from "../../server/sse.ts";
import { mapOpenAIFinishReason } from "./map-finish-reason.ts";
import { renderOpenAIErrorObject } from "./render-error.ts";
import { renderOpenAIUsage } from "./render-usage.ts";

export interface OpenAIChatStreamOptions {
  id: string;
  created: number;
  /** The model named in chunks until the backend reports the real one. */
  model: string;
  includeUsage: boolean;
  /** Answer tool calls in the legacy `function_call` shape. */
  legacyFunctions?: boolean;
}

export async function* renderOpenAIChatStream(events: AsyncIterable<RelayEvent>, options: OpenAIChatStreamOptions): AsyncGenerator<SseFrame> {
  let model = options.model;
  let sentRole = false;
  const toolIndexes = new Map<string, number>();
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    data: {
      id: options.id,
      object: "chat.completion.chunk",
      created: options.created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(options.includeUsage ? { usage: null } : {}),
    },
  });
  const roleChunk = function* () {
    if (sentRole) return;
    sentRole = true;
    yield chunk({ role: "assistant", content: "", refusal: null });
  };

  try {
    for await (const event of events) {
      switch (event.type) {
        case "stream-start":
          model = event.model || model;
          yield* roleChunk();
          break;
        case "text-delta":
          yield* roleChunk();
          yield chunk({ content: event.delta });
          break;
        case "reasoning-delta":
          // A delta that only carries provider metadata (a thinking signature) has nothing to show here.
          if (event.delta === "") break;
          yield* roleChunk();
          yield chunk({ reasoning_content: event.delta });
          break;
        case "tool-input-start": {
          yield* roleChunk();
          const index = toolIndexes.size;
          toolIndexes.set(event.id, index);
          if (options.legacyFunctions) {
            if (index === 0) yield chunk({ function_call: { name: event.toolName, arguments: "" } });
          } else {
            yield chunk({ tool_calls: [{ index, id: event.id, type: "function", function: { name: event.toolName, arguments: "" } }] });
          }
          break;
        }
        case "tool-input-delta": {
          const index = toolIndexes.get(event.id);
          if (index === undefined) break;
          if (options.legacyFunctions) {
            if (index === 0) yield chunk({ function_call: { arguments: event.delta } });
          } else {
            yield chunk({ tool_calls: [{ index, function: { arguments: event.delta } }] });
          }
          break;
        }
        case "finish":
          model = event.model || model;
          yield* roleChunk();
          const finishReason = mapOpenAIFinishReason(event.finishReason);
          yield chunk({}, options.legacyFunctions && finishReason === "tool_calls" ? "function_call" : finishReason);
          if (options.includeUsage) {
            yield {
              data: { id: options.id, object: "chat.completion.chunk", created: options.created, model, choices: [], usage: renderOpenAIUsage(event.usage) },
            };
          }
          yield { data: "[DONE]" };
          return;
        default:
          break;
      }
    }
    throw incompleteResponseError();
  } catch (error) {
    // After output started the status is already 200: the error goes in-band, and the stream does not end with [DONE].
    yield { data: { error: renderOpenAIErrorObject(toRelayError(error)) } };
  }
}
