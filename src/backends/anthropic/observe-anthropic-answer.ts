/**
 * Watches a copy of an Anthropic Messages answer (SSE stream or JSON body) as its bytes flow to the client,
 * and turns it into neutral events for the log line, metrics and inspector. It never throws into the byte
 * path: an upstream `error` event, an unparsable body or a cut stream settle `completion` with the error.
 */
import { incompleteResponseError, RelayError, toRelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import { anthropicMessageAsStreamEvents, AnthropicStreamMapper } from "../anthropic-wire/map-anthropic-stream-events.ts";
import { SseDecoder } from "../../wire/sse-decoder.ts";

export interface AnthropicAnswerObserverOptions {
  /** True for an SSE stream, false for one JSON message. */
  stream: boolean;
  provider: string;
  requestedModel: string;
  onEvent(event: RelayEvent): void;
}

export interface AnthropicAnswerObserver {
  observe(chunk: Uint8Array): void;
  end(): void;
  cancel(reason: unknown): void;
  /** Resolves for a complete answer; rejects with the upstream's in-band error or an incomplete-answer error. */
  completion: Promise<void>;
}

export function observeAnthropicAnswer(options: AnthropicAnswerObserverOptions): AnthropicAnswerObserver {
  const mapper = new AnthropicStreamMapper({ provider: options.provider, requestedModel: options.requestedModel });
  const decoder = new SseDecoder();
  const jsonChunks: Uint8Array[] = [];
  let failure: RelayError | undefined;
  let settled = false;
  let resolveCompletion!: () => void;
  let rejectCompletion!: (error: RelayError) => void;
  const completion = new Promise<void>((resolve, reject) => {
    resolveCompletion = resolve;
    rejectCompletion = reject;
  });
  // Nobody may be listening yet; the rejection is still delivered to whoever awaits it later.
  completion.catch(() => {});

  const settle = (error?: RelayError) => {
    if (settled) return;
    settled = true;
    if (error) rejectCompletion(error);
    else resolveCompletion();
  };

  const feed = (event: Record<string, any>) => {
    if (failure) return;
    try {
      for (const relayEvent of mapper.map(event as { type: string })) options.onEvent(relayEvent);
    } catch (error) {
      failure = toRelayError(error);
    }
  };

  return {
    completion,
    observe(chunk) {
      if (!options.stream) {
        jsonChunks.push(chunk);
        return;
      }
      for (const sseEvent of decoder.push(chunk)) {
        try {
          feed(JSON.parse(sseEvent.data));
        } catch {
          // A data line that is not JSON (a gateway's comment or keepalive) is not part of the answer.
        }
      }
    },
    end() {
      if (options.stream) {
        for (const sseEvent of decoder.end()) {
          try {
            feed(JSON.parse(sseEvent.data));
          } catch {
            // As above.
          }
        }
      } else {
        try {
          const message = JSON.parse(Buffer.concat(jsonChunks).toString("utf8"));
          for (const event of anthropicMessageAsStreamEvents(message)) feed(event);
        } catch {
          failure ??= new RelayError("api_error", `Provider "${options.provider}" answered with a body that is not a Messages response.`, { status: 502 });
        }
      }
      settle(failure ?? (mapper.finished ? undefined : incompleteResponseError()));
    },
    cancel(reason) {
      settle(failure ?? toRelayError(reason ?? new RelayError("api_error", "client disconnected", { status: 499 })));
    },
  };
}
