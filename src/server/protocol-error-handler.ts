/**
 * The one error handler of every route: Elysia's validation and parse errors and anything thrown become a
 * RelayError, rendered in the caller's protocol with its status and retry headers; 5xx go to the log.
 */
import { RelayError, relayErrorHeaders } from "../core/relay-error.ts";
import type { Logger } from "../util/logger.ts";
import { describeRequestError } from "./describe-request-error.ts";
import { getRequestContext } from "./request-context.ts";
import { routeHeaders } from "./serve-relay-request.ts";

/** How one protocol renders an error. */
export type RenderProtocolError = (error: RelayError, requestId: string) => { status: number; body: unknown };

/** An error response in a protocol's shape, with the request id, retry headers and, when known, where it went. */
export function protocolErrorResponse(error: RelayError, render: RenderProtocolError, requestId: string): Response {
  const { status, body } = render(error, requestId);
  return Response.json(body, { status, headers: { "x-request-id": requestId, ...relayErrorHeaders(error), ...routeHeaders(error.route) } });
}

/** Elysia's onError for routes whose errors render with `renderFor(request)`. */
export function protocolErrorHandler(renderFor: (request: Request) => RenderProtocolError, log: Logger) {
  return ({ code, error, request, set }: { code: unknown; error: unknown; request: Request; set: { status?: unknown } }) => {
    const context = getRequestContext(request, log);
    const relayError = describeRequestError(code, error, request);
    if (relayError.status >= 500) context.log.error("request failed", { error: relayError.detail ?? relayError.message });
    const response = protocolErrorResponse(relayError, renderFor(request), context.requestId);
    // The request's log line reads set.status, which otherwise keeps Elysia's own idea (422 for a 400, 200 for a 404).
    set.status = response.status;
    return response;
  };
}
