/** POST /v1/chat/completions (and /chat/completions). */
import { Elysia } from "elysia";
import type { AppDependencies } from "../../server/app-dependencies.ts";
import { protocolErrorHandler } from "../../server/protocol-error-handler.ts";
import { getRequestContext } from "../../server/request-context.ts";
import { serveRelayRequest, type ProtocolRenderer } from "../../server/serve-relay-request.ts";
import { parseOpenAIChatRequest } from "./parse-request.ts";
import { renderOpenAIError } from "./render-error.ts";
import { renderOpenAIChatResponse } from "./render-response.ts";
import { renderOpenAIChatStream } from "./render-stream.ts";
import { openAIChatRequestSchema, type OpenAIChatRequest } from "./schema.ts";
import { newId } from "../../util/new-id.ts";
import type { RelayRequest } from "../../core/relay-request.ts";
import { offerPassthroughRequest } from "../../server/offer-passthrough-request.ts";

/** The neutral form of a request forwarded untranslated; a body the hub would refuse is recorded by its model alone. */
function describePassthroughRequest(body: OpenAIChatRequest): RelayRequest {
  try {
    return parseOpenAIChatRequest(body).relayRequest;
  } catch {
    return { model: body.model, messages: [], stream: body.stream === true, warnings: [] };
  }
}

export function openAIChatRoutes(dependencies: AppDependencies) {
  const handle = async ({ body, request }: { body: OpenAIChatRequest; request: Request }) => {
    // A route whose providers all speak Chat Completions themselves gets the request untranslated.
    const passthrough = await offerPassthroughRequest(dependencies, {
      request,
      body: body as Record<string, unknown>,
      protocol: "openai-chat",
      route: "/v1/chat/completions",
      renderError: renderOpenAIError,
      describe: () => describePassthroughRequest(body),
    });
    if (passthrough) return passthrough;
    const context = getRequestContext(request, dependencies.log);
    const { relayRequest, includeUsage, legacyFunctions } = parseOpenAIChatRequest(body);
    const id = newId("chatcmpl-");
    const created = Math.floor(Date.now() / 1000);
    const renderer: ProtocolRenderer = {
      renderResponse: (response) => renderOpenAIChatResponse(response, { id, created, legacyFunctions }),
      renderStream: (events) => renderOpenAIChatStream(events, { id, created, model: relayRequest.model, includeUsage, legacyFunctions }),
      renderError: renderOpenAIError,
      keepaliveFrame: { comment: "keepalive" },
    };
    return serveRelayRequest({ ...context, request, route: "/v1/chat/completions" }, relayRequest, renderer, {
      ...dependencies,
      keepaliveIntervalMs: dependencies.config.keepaliveIntervalMs,
    });
  };

  return new Elysia({ name: "openai-chat" })
    .onError(protocolErrorHandler(() => renderOpenAIError, dependencies.log))
    .post("/v1/chat/completions", handle, { body: openAIChatRequestSchema })
    .post("/chat/completions", handle, { body: openAIChatRequestSchema });
}
