/** A whole Chat Completions answer (from upstreams that ignore `stream: true`) -> the same neutral events as a stream. */
import type { RelayEvent } from "../../core/relay-event.ts";
import { ChatStreamState, type OpenAIChatStreamContext } from "./map-openai-chat-stream.ts";
import type { OpenAIChatChunk, OpenAIChatCompletion } from "./openai-chat-wire.ts";

export function* mapOpenAIChatCompletion(completion: OpenAIChatCompletion, context: OpenAIChatStreamContext): Generator<RelayEvent> {
  const state = new ChatStreamState(context);
  const choice = completion.choices?.find((candidate) => (candidate.index ?? 0) === 0);
  const message = choice?.message ?? {};
  // One chunk holding the whole message: the stream mapper's rules (ids, empty reasoning, finish) apply unchanged.
  const chunk: OpenAIChatChunk = {
    id: completion.id,
    model: completion.model,
    usage: completion.usage,
    choices: [
      {
        index: 0,
        delta: {
          content: message.content,
          reasoning_content: message.reasoning_content ?? message.reasoning,
          refusal: message.refusal,
          tool_calls: message.tool_calls?.map((call, index) => ({ index, id: call.id, function: { name: call.function?.name, arguments: call.function?.arguments ?? "" } })),
        },
        finish_reason: choice?.finish_reason ?? null,
      },
    ],
  };
  yield* state.accept(chunk);
  yield* state.finish();
}
