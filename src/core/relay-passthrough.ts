/**
 * The passthrough path: a backend whose upstream speaks the client's own protocol (Anthropic Messages
 * clients to the Anthropic API or Claude on Bedrock; OpenAI Chat clients to an OpenAI-compatible provider)
 * forwards the request untranslated, with only the model and the credentials changed, and hands the
 * upstream's answer back byte for byte. The relay still sees everything: the backend parses a copy of the
 * answer into neutral events for the log line, the metrics and the inspector, without holding bytes back.
 */
import { RelayError, type RelayErrorOptions, type RelayErrorKind } from "./relay-error.ts";
import type { BackendContext } from "./relay-backend.ts";
import type { RelayEvent, RelayRoute } from "./relay-event.ts";

/** The client protocols a backend may forward untranslated. */
export type PassthroughProtocol = "anthropic-messages" | "anthropic-count-tokens" | "openai-chat";

/** A client request exactly as it arrived. */
export interface PassthroughRequest {
  protocol: PassthroughProtocol;
  /** The body bytes as the client sent them. */
  body: Uint8Array;
  /** The same body parsed and validated by the protocol's schema; read only. */
  parsed: Record<string, unknown>;
  /** The client's request headers (its own key to the relay included: backends forward it only when configured to). */
  headers: Headers;
  /** The query string as sent, e.g. "?beta=true", or "". */
  search: string;
  /** Whether the client asked for a stream. */
  stream: boolean;
}

/** What a backend needs to forward one request. */
export interface PassthroughContext extends BackendContext {
  /** The upstream model the route resolved to. */
  model: string;
  /** Receives the answer as neutral events while its bytes flow to the client. */
  onEvent(event: RelayEvent): void;
}

/** The upstream's answer, to send as is, and when it ended. */
export interface PassthroughResponse {
  /** Status, headers (hop-by-hop ones removed) and body exactly as the upstream sent them. */
  response: Response;
  /**
   * Settles when the body was fully forwarded: resolves for a complete answer, rejects with the RelayError
   * the upstream reported inside it (an `error` event in a 200 stream) or with an incomplete-answer error.
   */
  completion: Promise<void>;
  /** Where the request went (set by the router). */
  route?: RelayRoute;
}

/**
 * An upstream answered with an error status before any byte reached the client. It is thrown (so a route's
 * fallback can try the next target) and carries the upstream's own response, which the client gets as is
 * when no fallback answers, except where the mapped error must replace it (rejected provider credentials).
 */
export class PassthroughUpstreamError extends RelayError {
  constructor(
    kind: RelayErrorKind,
    message: string,
    options: RelayErrorOptions & { upstreamResponse?: { status: number; headers: Headers; body: Uint8Array } },
  ) {
    super(kind, message, options);
    this.upstreamResponse = options.upstreamResponse;
  }

  readonly upstreamResponse: { status: number; headers: Headers; body: Uint8Array } | undefined;

  override withRoute(route: RelayRoute): RelayError {
    const { kind, message, status, param, code, retryAfterSeconds, retryable, detail, cause, upstreamResponse } = this;
    return new PassthroughUpstreamError(kind, message, { status, param, code, retryAfterSeconds, retryable, detail, cause, route, upstreamResponse });
  }
}

// Headers that describe one connection, not the message (RFC 9110 section 7.6.1), plus the framing and
// encoding fetch has already undone.
const connectionHeaders = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "content-encoding",
]);

/** The upstream's response headers a client may see: everything but hop-by-hop and framing headers. */
export function forwardableResponseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  upstream.forEach((value, name) => {
    if (!connectionHeaders.has(name.toLowerCase())) headers.append(name, value);
  });
  return headers;
}

/** The client's request headers an upstream may see: everything but hop-by-hop, host, framing and the given names. */
export function forwardableRequestHeaders(client: Headers, drop: string[]): Headers {
  const dropped = new Set([...connectionHeaders, "host", "accept-encoding", ...drop.map((name) => name.toLowerCase())]);
  const headers = new Headers();
  client.forEach((value, name) => {
    if (!dropped.has(name.toLowerCase())) headers.append(name, value);
  });
  return headers;
}

/**
 * Forwards a body stream unchanged while a copy of each chunk goes to `observe`; `end` runs when the
 * stream completes (not when the client cancels). Chunks are never held back for the observer.
 */
export function teeBodyToObserver(
  body: ReadableStream<Uint8Array>,
  observer: { observe(chunk: Uint8Array): void; end(): void; cancel(reason: unknown): void },
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await reader.read();
        if (next.done) {
          observer.end();
          controller.close();
          return;
        }
        controller.enqueue(next.value);
        observer.observe(next.value);
      } catch (error) {
        observer.cancel(error);
        controller.error(error);
      }
    },
    async cancel(reason) {
      observer.cancel(reason);
      await reader.cancel(reason).catch(() => {});
    },
  });
}
