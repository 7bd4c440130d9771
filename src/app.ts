/**
 * Builds the Elysia app without listening: tests call app.handle(new Request(...)), the CLI entry listens.
 */
import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import { timingSafeEqual, createHash } from "node:crypto";
import { isLoopbackHost } from "./config.ts";
import { RelayError } from "./core/relay-error.ts";
import type { RelayModel } from "./core/relay-backend.ts";
import { anthropicMessagesRoutes } from "./protocols/anthropic-messages/routes.ts";
import { renderAnthropicError } from "./protocols/anthropic-messages/render-error.ts";
import { openAIChatRoutes } from "./protocols/openai-chat/routes.ts";
import { openAIResponsesRoutes } from "./protocols/openai-responses/routes.ts";
import { renderOpenAIError } from "./protocols/openai-chat/render-error.ts";
import type { AppDependencies } from "./server/app-dependencies.ts";
import { BackendLoginStatus } from "./server/backend-login-status.ts";
import { protocolErrorHandler, protocolErrorResponse, type RenderProtocolError } from "./server/protocol-error-handler.ts";
import { getRequestContext, markServedAsRelayRequest, requestIdFrom, setRequestContext, wasServedAsRelayRequest } from "./server/request-context.ts";
import { checkContentType, checkDeclaredLength, checkHost, checkOrigin, isAllowedOrigin, readJsonBody, requestPath } from "./server/request-guard.ts";
import { ResponseStore } from "./store/response-store.ts";
import { inspectorRoutes } from "./inspector/inspector-routes.ts";
import { rememberRequestBody } from "./server/request-body.ts";
import type { Logger } from "./util/logger.ts";

/** True for requests from Anthropic-format clients (they send anthropic-version, and use /messages paths). */
function speaksAnthropic(request: Request): boolean {
  return request.headers.has("anthropic-version") || requestPath(request).replace(/^\/v1/, "").startsWith("/messages");
}

/**
 * A refusal from the first hook (bad Host, origin, key, content type, size): Elysia runs no later hook for
 * it, so its one log line is written here, with the status the client receives.
 */
function refuse(request: Request, error: RelayError, log: Logger): Response {
  const context = getRequestContext(request, log);
  const response = errorResponse(request, error, context.requestId);
  markServedAsRelayRequest(request);
  context.log.info("request completed", {
    method: request.method,
    path: requestPath(request),
    status: response.status,
    duration_ms: Math.round(performance.now() - context.startedAt),
    error: error.message,
  });
  return response;
}

/** Errors outside a protocol's routes (auth, Host guard, unknown paths) in the protocol the client speaks. */
function renderErrorFor(request: Request): RenderProtocolError {
  return speaksAnthropic(request) ? renderAnthropicError : renderOpenAIError;
}

function errorResponse(request: Request, error: RelayError, requestId: string): Response {
  return protocolErrorResponse(error, renderErrorFor(request), requestId);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function presentedKey(request: Request): string | undefined {
  const authorization = request.headers.get("authorization");
  if (authorization?.toLowerCase().startsWith("bearer ")) return authorization.slice(7).trim();
  return request.headers.get("x-api-key") ?? undefined;
}

/** Browser origins allowed by --cors-origins: "localhost" means any loopback origin, "*" any, "none" none. */
function corsOrigin(allowed: string[]) {
  if (allowed.includes("none")) return false;
  if (allowed.includes("*")) return true;
  return (request: Request) => {
    const origin = request.headers.get("origin");
    return origin !== null && isAllowedOrigin(origin, allowed);
  };
}

const publicPaths = new Set(["/", "/health", "/inspector", "/inspector/"]);

/** The inspector page and its files hold no data (the page asks for the key); its API is not public. */
function isPublicPath(path: string): boolean {
  return publicPaths.has(path) || path.startsWith("/inspector/assets/");
}

function openAIModelList(models: RelayModel[]) {
  return { object: "list", data: models.map((model) => ({ id: model.id, object: "model", created: 0, owned_by: model.ownedBy ?? "agent-relay" })) };
}

function anthropicModelList(models: RelayModel[]) {
  const data = models.map((model) => ({ type: "model", id: model.id, display_name: model.displayName, created_at: "1970-01-01T00:00:00Z" }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

export function createApp(dependencies: AppDependencies) {
  const { config, backend, metrics, log } = dependencies;
  const guardHost = !config.apiKey && isLoopbackHost(config.host);
  const loginStatus = dependencies.loginStatus ?? new BackendLoginStatus();
  const routeDependencies = { ...dependencies, loginStatus };
  const responseStore =
    dependencies.responseStore ?? ResponseStore.open({ path: ":memory:", maxResponses: config.responsesMaxStored, maxAgeMs: config.responsesMaxAgeMs });

  // onAfterResponse does not run for answers returned from onRequest: refused requests are logged and recorded here.
  const refuseAndRecord = (request: Request, error: RelayError) => {
    const response = refuse(request, error, log);
    const context = getRequestContext(request, log);
    dependencies.recorder?.recordPlain({ request, requestId: context.requestId, status: response.status, startedAt: context.startedAt });
    return response;
  };

  const listModels = async (request: Request) => {
    const models = await backend.listModels();
    return speaksAnthropic(request) ? anthropicModelList(models) : openAIModelList(models);
  };

  const health = () => {
    const backendHealth = backend.health();
    const load = backend.load();
    const storeProblem = responseStore instanceof RelayError ? responseStore.message : undefined;
    const reason = [backendHealth.reason, loginStatus.reason, storeProblem].filter(Boolean).join(" ");
    return {
      status: backendHealth.ok && !storeProblem && !loginStatus.reason ? "ok" : "degraded",
      ...(reason ? { reason } : {}),
      version: dependencies.version,
      pid: process.pid,
      started_at: dependencies.startedAt.toISOString(),
      uptime_seconds: Math.round((Date.now() - dependencies.startedAt.getTime()) / 1000),
      // Backend-reported facts: with the router, every provider's health under "providers".
      ...backendHealth.details,
      requests: { active: load.active, queued: load.queued },
      // Backend-specific counts (the claude backend's cli_processes, warm_processes, live_conversations, held_tool_rounds).
      ...load.details,
      agent_mode: config.agent,
    };
  };

  // normalize: false, because normalizing reshapes a type-confused body (metadata: true -> {user_id: undefined})
  // into one that passes the schema; the protocols' shape checks must see what the client sent.
  return new Elysia({ normalize: false })
    .use(
      cors({
        origin: corsOrigin(config.corsOrigins),
        credentials: false,
        methods: ["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
        allowedHeaders: ["content-type", "authorization", "x-api-key", "anthropic-version", "anthropic-beta", "x-request-id", "openai-organization", "openai-project"],
        exposeHeaders: ["x-request-id", "request-id", "retry-after", "x-agent-relay-provider", "x-agent-relay-model", "x-agent-relay-fallbacks"],
        maxAge: 600,
      }),
    )
    .onRequest(({ request, set }) => {
      const requestId = requestIdFrom(request.headers.get("x-request-id"));
      setRequestContext(request, { requestId, log: log.child({ request_id: requestId }), startedAt: performance.now() });
      set.headers["x-request-id"] = requestId;
      set.headers["request-id"] = requestId;
      const badHost = checkHost(request);
      if (badHost) return refuseAndRecord(request, badHost);
      if (request.method === "OPTIONS") return;
      const guardOptions = { corsOrigins: config.corsOrigins, maxBodyBytes: config.maxBodyBytes };
      const badOrigin = checkOrigin(request, guardOptions);
      if (badOrigin) return refuseAndRecord(request, badOrigin);
      if (guardHost) {
        // DNS rebinding: a web page whose domain resolves to 127.0.0.1 would otherwise reach an unauthenticated relay.
        const host = (request.headers.get("host") ?? "").replace(/:\d+$/, "");
        if (host && !isLoopbackHost(host)) {
          return refuseAndRecord(request, new RelayError("permission", `Host "${host}" is not allowed: the relay only answers to localhost without --api-key.`));
        }
      }
      const path = requestPath(request);
      if (config.apiKey && !isPublicPath(path)) {
        const key = presentedKey(request);
        if (!key || !sameSecret(key, config.apiKey)) {
          return refuseAndRecord(request, new RelayError("authentication", "Invalid or missing API key for this relay (send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY')."));
        }
      }
      const badBody = checkContentType(request) ?? checkDeclaredLength(request, guardOptions);
      if (badBody) return refuseAndRecord(request, badBody);
    })
    // One body reader for every route: JSON only, and never more than --max-body-size read into memory.
    .onParse({ as: "global" }, ({ request }) => readJsonBody(request, config.maxBodyBytes))
    .onError(protocolErrorHandler(renderErrorFor, log))
    // The parsed body, for the inspector's recorder (Elysia has parsed it once; nothing reads it again).
    .onBeforeHandle({ as: "global" }, ({ request, body }) => {
      if (dependencies.recorder?.enabled) rememberRequestBody(request, body);
    })
    .onAfterResponse(({ request, set, responseValue }) => {
      if (wasServedAsRelayRequest(request)) return;
      const context = getRequestContext(request, log);
      // A Response returned by a hook or an error handler carries the status the client received; set.status may not.
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      if (status >= 400 && !requestPath(request).startsWith("/inspector")) {
        dependencies.recorder?.recordPlain({ request, requestId: context.requestId, status, startedAt: context.startedAt });
      }
      const fields = { method: request.method, path: requestPath(request), status, duration_ms: Math.round(performance.now() - context.startedAt) };
      if (status >= 400) context.log.info("request completed", fields);
      else context.log.debug("request completed", fields);
    })
    .get("/", () => ({ name: "agent-relay", version: dependencies.version, status: "ok" }))
    .head("/", () => new Response(null, { status: 200 }))
    .get("/health", health)
    .get("/metrics", () => new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }))
    .get("/v1/metrics", () => metrics.toJSON())
    .get("/v1/models", ({ request }) => listModels(request))
    .get("/models", ({ request }) => listModels(request))
    .use(openAIChatRoutes(routeDependencies))
    .use(openAIResponsesRoutes({ ...routeDependencies, responseStore }))
    .use(anthropicMessagesRoutes(routeDependencies))
    .use(dependencies.inspectorStore && dependencies.recorder ? inspectorRoutes({ store: dependencies.inspectorStore, recorder: dependencies.recorder }) : new Elysia());
}

export type RelayApp = ReturnType<typeof createApp>;
