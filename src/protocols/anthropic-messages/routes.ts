/** POST /v1/messages and /v1/messages/count_tokens (also without /v1; ?beta=true accepted). */
import { Elysia } from "elysia";
import type { RelayRequest } from "../../core/relay-request.ts";
import { newId } from "../../util/new-id.ts";
import type { AppDependencies } from "../../server/app-dependencies.ts";
import { protocolErrorHandler } from "../../server/protocol-error-handler.ts";
import { getRequestContext } from "../../server/request-context.ts";
import { serveRelayRequest, type ProtocolRenderer } from "../../server/serve-relay-request.ts";
import { offerPassthroughRequest } from "../../server/offer-passthrough-request.ts";
import type { PassthroughProtocol } from "../../core/relay-passthrough.ts";
import { checkAnthropicRequestShape } from "./check-request-shape.ts";
import { parseAnthropicMessagesRequest } from "./parse-request.ts";
import { renderAnthropicError } from "./render-error.ts";
import { renderAnthropicMessagesResponse } from "./render-response.ts";
import { renderAnthropicMessagesStream } from "./render-stream.ts";
import {
  anthropicCountTokensRequestSchema,
  anthropicMessagesRequestSchema,
  type AnthropicCountTokensRequest,
  type AnthropicMessagesRequest,
} from "./schema.ts";

/** The neutral form of a request forwarded untranslated; a body the relay could not parse is recorded by its model alone. */
function describePassthroughRequest(body: Record<string, unknown>, request: Request): RelayRequest {
  try {
    return parseAnthropicMessagesRequest(body as AnthropicMessagesRequest, (request.headers.get("anthropic-beta") ?? "").split(",").map((beta) => beta.trim()));
  } catch {
    return { model: String(body.model ?? ""), messages: [], stream: body.stream === true, warnings: [] };
  }
}

export function anthropicMessagesRoutes(dependencies: AppDependencies) {
  // A backend whose upstream speaks Anthropic Messages itself gets the request untranslated.
  const offerPassthrough = (request: Request, body: Record<string, unknown>, protocol: PassthroughProtocol, route: string) =>
    offerPassthroughRequest(dependencies, { request, body, protocol, route, renderError: renderAnthropicError, describe: () => describePassthroughRequest(body, request) });

  const handleMessages = async ({ body, request }: { body: AnthropicMessagesRequest; request: Request }) => {
    const passthrough = await offerPassthrough(request, body, "anthropic-messages", "/v1/messages");
    if (passthrough) return passthrough;
    const context = getRequestContext(request, dependencies.log);
    const betas = (request.headers.get("anthropic-beta") ?? "").split(",").map((beta) => beta.trim());
    checkAnthropicRequestShape(body as unknown as Record<string, unknown>);
    const relayRequest = parseAnthropicMessagesRequest(body, betas);
    const id = newId("msg_");
    const renderer: ProtocolRenderer = {
      renderResponse: (response) => renderAnthropicMessagesResponse(response, { id }),
      renderStream: (events) => renderAnthropicMessagesStream(events, { id, model: relayRequest.model }),
      renderError: (error) => renderAnthropicError(error, context.requestId),
      keepaliveFrame: { event: "ping", data: { type: "ping" } },
    };
    return serveRelayRequest({ ...context, request, route: "/v1/messages" }, relayRequest, renderer, {
      ...dependencies,
      keepaliveIntervalMs: dependencies.config.keepaliveIntervalMs,
    });
  };

  const handleCountTokens = async ({ body, request }: { body: AnthropicCountTokensRequest; request: Request }) => {
    const passthrough = await offerPassthrough(request, body, "anthropic-count-tokens", "/v1/messages/count_tokens");
    if (passthrough) return passthrough;
    const context = getRequestContext(request, dependencies.log);
    const betas = (request.headers.get("anthropic-beta") ?? "").split(",").map((beta) => beta.trim());
    // count_tokens takes a Messages request without max_tokens; the backend the model routes to counts it.
    checkAnthropicRequestShape(body as unknown as Record<string, unknown>);
    const relayRequest = parseAnthropicMessagesRequest(body as AnthropicMessagesRequest, betas);
    const counted = await dependencies.backend.countTokens(relayRequest, { signal: request.signal, requestId: context.requestId, log: context.log, clientKey: "" });
    return { input_tokens: counted.inputTokens };
  };

  return new Elysia({ name: "anthropic-messages" })
    .onError(protocolErrorHandler(() => renderAnthropicError, dependencies.log))
    .post("/v1/messages", handleMessages, { body: anthropicMessagesRequestSchema })
    .post("/messages", handleMessages, { body: anthropicMessagesRequestSchema })
    .post("/v1/messages/count_tokens", handleCountTokens, { body: anthropicCountTokensRequestSchema })
    .post("/messages/count_tokens", handleCountTokens, { body: anthropicCountTokensRequestSchema });
}
