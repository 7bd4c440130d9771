/**
 * Watches a copy of a Chat Completions answer (SSE chunks up to `[DONE]`, or one chat.completion JSON) as its
 * bytes flow to the client, and turns it into neutral events for the log line, metrics and inspector with
 * the same rules as the translated path: usage from the usage chunk, the real finish_reason, and an
 * `{"error": ...}` chunk inside a 200 stream recorded as the failure it is.
 */
import type { RelayEvent } from "../../core/relay-event.ts";
import { observeUpstreamAnswer, type UpstreamAnswerObserver } from "../passthrough/observe-upstream-answer.ts";
import { mapOpenAIChatCompletion } from "./map-openai-chat-completion.ts";
import { ChatStreamState, type OpenAIChatStreamContext } from "./map-openai-chat-stream.ts";
import { mapOpenAIStreamError } from "./map-openai-upstream-error.ts";
import type { OpenAIChatChunk, OpenAIChatCompletion } from "./openai-chat-wire.ts";

export interface OpenAIChatAnswerObserverOptions {
  /** True for an SSE stream, false for one JSON completion. */
  stream: boolean;
  context: OpenAIChatStreamContext;
  onEvent(event: RelayEvent): void;
}

export function observeOpenAIChatAnswer(options: OpenAIChatAnswerObserverOptions): UpstreamAnswerObserver {
  const state = new ChatStreamState(options.context);
  let done = false;
  let finished = false;
  return observeUpstreamAnswer({
    stream: options.stream,
    provider: options.context.providerName,
    answerName: "chat completion",
    onEvent: options.onEvent,
    parser: {
      streamEvent(data) {
        if (done) return [];
        if (data === "[DONE]") {
          done = true;
          return [];
        }
        let chunk: OpenAIChatChunk;
        try {
          chunk = JSON.parse(data);
        } catch {
          // Not JSON (a proxy's keepalive): the client got it as sent; it is no part of the answer.
          return [];
        }
        return state.accept(chunk);
      },
      wholeBody(text) {
        const completion = JSON.parse(text) as OpenAIChatCompletion & { error?: { message?: string; code?: number | string } };
        // Some gateways answer 200 with only an error object.
        if (completion?.error) throw mapOpenAIStreamError(completion.error, options.context.providerName);
        if (typeof completion !== "object" || completion === null || !Array.isArray(completion.choices)) throw new Error("not a chat completion");
        finished = true;
        return [...mapOpenAIChatCompletion(completion, options.context)];
      },
      // A stream's finish waits for its end: the usage chunk comes after the finish_reason chunk.
      end: () => (finished ? [] : state.finish()),
    },
  });
}
