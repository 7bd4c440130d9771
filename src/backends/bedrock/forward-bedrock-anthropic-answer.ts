/**
 * The answer of Claude on Bedrock for an Anthropic Messages client. Streaming: each `chunk` frame of the
 * binary event stream carries one Anthropic event, whose bytes go out unchanged as an SSE event of the same
 * name (what the Anthropic API itself would send); an exception frame becomes an in-band `error` event.
 * Non-streaming: the JSON body as Bedrock sent it. A parsed copy feeds the relay's own events either way.
 */
import { incompleteResponseError, toRelayError, type RelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import { forwardableResponseHeaders, teeBodyToObserver, type PassthroughResponse } from "../../core/relay-passthrough.ts";
import { renderAnthropicErrorObject } from "../../protocols/anthropic-messages/render-error.ts";
import type { Logger } from "../../util/logger.ts";
import { AnthropicStreamMapper } from "../anthropic-wire/map-anthropic-stream-events.ts";
import { observeAnthropicAnswer } from "../anthropic/observe-anthropic-answer.ts";
import { readBedrockEventStream, type ReadBedrockStreamOptions } from "./read-bedrock-event-stream.ts";

export interface ForwardBedrockAnswerOptions {
  response: Response;
  stream: boolean;
  provider: string;
  model: string;
  streamOptions: ReadBedrockStreamOptions;
  onEvent(event: RelayEvent): void;
  log: Logger;
}

const textEncoder = new TextEncoder();

export function forwardBedrockAnthropicAnswer(options: ForwardBedrockAnswerOptions): PassthroughResponse {
  const headers = forwardableResponseHeaders(options.response.headers);
  if (!options.stream) {
    const observer = observeAnthropicAnswer({ stream: false, provider: options.provider, requestedModel: options.model, onEvent: options.onEvent });
    return { response: new Response(teeBodyToObserver(options.response.body!, observer), { status: 200, headers }), completion: observer.completion };
  }
  headers.set("content-type", "text/event-stream; charset=utf-8");
  headers.set("cache-control", "no-cache");
  const mapper = new AnthropicStreamMapper({ provider: options.provider, requestedModel: options.model });
  const events = readBedrockEventStream(options.response.body!, options.streamOptions)[Symbol.asyncIterator]();
  let settle!: (error?: RelayError) => void;
  const completion = new Promise<void>((resolve, reject) => {
    let settled = false;
    settle = (error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
  });
  completion.catch(() => {});

  const observe = (json: string, parsed: Record<string, any>) => {
    try {
      for (const event of mapper.map(parsed as { type: string })) options.onEvent(event);
    } catch (error) {
      settle(toRelayError(error));
    }
    if (parsed.type === "message_stop" && parsed["amazon-bedrock-invocationMetrics"]) {
      options.log.debug("bedrock invocation metrics", { provider: options.provider, model: options.model, ...parsed["amazon-bedrock-invocationMetrics"] });
    }
    void json;
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) {
          if (!mapper.finished) {
            const error = incompleteResponseError();
            controller.enqueue(errorFrame(error));
            settle(error);
          } else settle();
          controller.close();
          return;
        }
        if (next.value.eventType !== "chunk") return;
        const parsed = JSON.parse(next.value.json) as Record<string, any>;
        controller.enqueue(textEncoder.encode(`event: ${String(parsed.type)}\ndata: ${next.value.json}\n\n`));
        observe(next.value.json, parsed);
      } catch (error) {
        const relayError = toRelayError(error);
        controller.enqueue(errorFrame(relayError));
        settle(relayError);
        controller.close();
      }
    },
    async cancel(reason) {
      settle(toRelayError(reason ?? new Error("client disconnected")));
      await events.return?.(undefined);
    },
  });
  return { response: new Response(body, { status: 200, headers }), completion };
}

function errorFrame(error: RelayError): Uint8Array {
  return textEncoder.encode(`event: error\ndata: ${JSON.stringify(renderAnthropicErrorObject(error))}\n\n`);
}
