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
  const feed = (event: Record<string, unknown>) => {
    for (const relayEvent of mapper.map(event as { type: string })) options.onEvent(relayEvent);
  };
  return observeUpstreamAnswer({
    stream: options.stream,
    provider: options.provider,
    answerName: "Messages response",
    parser: {
      streamEvent(data) {
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(data);
        } catch {
          // A data line that is not JSON (a gateway's comment or keepalive) is not part of the answer.
          return;
        }
        feed(event);
      },
      wholeBody(text) {
        for (const event of anthropicMessageAsStreamEvents(JSON.parse(text))) feed(event as Record<string, unknown>);
      },
      end: () => requireFinished(mapper.finished),
    },
  });
}
