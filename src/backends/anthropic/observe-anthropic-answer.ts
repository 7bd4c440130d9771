/**
 * Watches a copy of an Anthropic Messages answer (SSE stream or JSON body) as its bytes flow to the client,
 * and turns it into neutral events for the log line, metrics and inspector (see observe-upstream-answer.ts:
 * an upstream `error` event, an unparsable body or a cut stream settle `completion` with the error).
 */
import type { RelayEvent } from "../../core/relay-event.ts";
import { anthropicMessageAsStreamEvents, AnthropicStreamMapper } from "../anthropic-wire/map-anthropic-stream-events.ts";
import { observeUpstreamAnswer, requireFinished, type UpstreamAnswerObserver } from "../passthrough/observe-upstream-answer.ts";

export interface AnthropicAnswerObserverOptions {
  /** True for an SSE stream, false for one JSON message. */
  stream: boolean;
  provider: string;
  requestedModel: string;
  onEvent(event: RelayEvent): void;
}

export type AnthropicAnswerObserver = UpstreamAnswerObserver;

export function observeAnthropicAnswer(options: AnthropicAnswerObserverOptions): AnthropicAnswerObserver {
  const mapper = new AnthropicStreamMapper({ provider: options.provider, requestedModel: options.requestedModel });
  return observeUpstreamAnswer({
    stream: options.stream,
    provider: options.provider,
    answerName: "Messages response",
    onEvent: options.onEvent,
    parser: {
      streamEvent(data) {
        let event: { type: string };
        try {
          event = JSON.parse(data);
        } catch {
          // A data line that is not JSON (a gateway's comment or keepalive) is not part of the answer.
          return [];
        }
        return mapper.map(event);
      },
      wholeBody: (text) => anthropicMessageAsStreamEvents(JSON.parse(text)).flatMap((event) => mapper.map(event)),
      end: () => requireFinished(mapper.finished),
    },
  });
}
