/**
 * Runs one neutral request through the backend and answers in the client's protocol, the same way for
 * every protocol: errors before the first content are real HTTP statuses, later ones are rendered in-band
 * by the protocol; disconnects abort the backend at once; one log line and the metrics per request.
 */
import type { RelayConfig } from "../config.ts";
import type { RelayBackend } from "../core/relay-backend.ts";
import { incompleteResponseError, RelayError, relayErrorHeaders, toRelayError } from "../core/relay-error.ts";
import { isRelayBackendReport, type RelayBackendEvent, type RelayEvent, type RelayResponse, type RelayRoute, type RelayUsage } from "../core/relay-event.ts";
import { foldRelayEvents } from "../core/fold-relay-events.ts";
import type { RelayRequest, RelayWarning } from "../core/relay-request.ts";
import type { Logger } from "../util/logger.ts";
import type { BackendLoginStatus } from "./backend-login-status.ts";
import type { RelayMetrics } from "./metrics.ts";
import { markServedAsRelayRequest } from "./request-context.ts";
import { requestPath } from "./request-guard.ts";
import { createSseResponse, type SseFrame } from "./sse.ts";

/** How one protocol renders answers and errors. */
export interface ProtocolRenderer {
  /** The body of a complete (non-streaming) answer (awaited: a renderer may store it first). */
  renderResponse(response: RelayResponse): unknown;
  /** SSE frames for a streamed answer. Must catch failures of `events` and render them as an in-band error. */
  renderStream(events: AsyncIterable<RelayEvent>): AsyncIterable<SseFrame>;
  /** Status and body of an error sent instead of an answer. */
  renderError(error: RelayError): { status: number; body: unknown };
  /** A frame clients ignore, sent on quiet streams. */
  keepaliveFrame: SseFrame;
}

export interface RequestScope {
  request: Request;
  requestId: string;
  /** The route, for metrics and logs, e.g. "/v1/chat/completions". */
  route: string;
  log: Logger;
  startedAt: number;
  /** The Responses API id the answer will carry (for the request log). */
  responseId?: string;
}

/** Watches every request the hub serves (the inspector's recorder); never blocks it. It sees the backend's reports too. */
export interface RelayRequestObserver {
  observe(start: { request: Request; requestId: string; route: string; startedAt: number; relayRequest: RelayRequest; responseId?: string }):
    | { event(event: RelayBackendEvent): void; finish(outcome: { status: number; error?: RelayError }): void }
    | undefined;
}

export interface ServeDependencies {
  backend: RelayBackend;
  metrics: RelayMetrics;
  keepaliveIntervalMs: number;
  /** --write-timeout: how long a streaming client may take nothing before its request is cancelled. */
  config: Pick<RelayConfig, "writeTimeoutMs">;
  /** Learns from each outcome whether the backend's login works (for /health). */
  loginStatus?: BackendLoginStatus;
  /** Lifts Bun's idle timeout for this request, so quiet streams are not cut. */
  disableIdleTimeout(request: Request): void;
  /** The inspector's recorder and telemetry, when enabled. */
  observer?: RelayRequestObserver;
}

const contentEvents = new Set<RelayEvent["type"]>(["text-delta", "reasoning-delta", "tool-input-start", "finish"]);

export async function serveRelayRequest(
  scope: RequestScope,
  relayRequest: RelayRequest,
  renderer: ProtocolRenderer,
  dependencies: ServeDependencies,
): Promise<Response> {
  markServedAsRelayRequest(scope.request);
  dependencies.disableIdleTimeout(scope.request);
  const abort = new AbortController();
  const onClientGone = () => abort.abort(new RelayError("api_error", "client disconnected", { status: 499 }));
  const onClientStalled = () => {
    scope.log.warn("the client stopped reading the stream; request cancelled", { write_timeout_ms: dependencies.config.writeTimeoutMs });
    onClientGone();
  };
  if (scope.request.signal.aborted) onClientGone();
  scope.request.signal.addEventListener("abort", onClientGone, { once: true });

  const outcome = new RequestOutcome(scope, relayRequest, dependencies.metrics, dependencies.observer?.observe({ ...scope, relayRequest }), dependencies.loginStatus);
  const clientKey = clientKeyOf(scope.request, relayRequest);
  const events = outcome.observe(dependencies.backend.stream(relayRequest, { signal: abort.signal, requestId: scope.requestId, log: scope.log, clientKey }));
  const iterator = events[Symbol.asyncIterator]();

  if (!relayRequest.stream) {
    try {
      const response = await foldRelayEvents({ [Symbol.asyncIterator]: () => iterator });
      outcome.finish(200);
      return Response.json(await renderer.renderResponse(response), { headers: { "x-request-id": scope.requestId, ...routeHeaders(outcome.route) } });
    } catch (error) {
      return errorResponse(toRelayError(error), renderer, scope, outcome, abort.signal);
    } finally {
      scope.request.signal.removeEventListener("abort", onClientGone);
    }
  }

  // Hold the response until the first content: an error before it still gets a real HTTP status.
  const buffered: RelayEvent[] = [];
  try {
    while (true) {
      const next = await iterator.next();
      if (next.done) {
        // Nothing was produced: a status, not a 200 with an empty stream.
        throw incompleteResponseError();
      }
      buffered.push(next.value);
      if (contentEvents.has(next.value.type)) break;
    }
  } catch (error) {
    scope.request.signal.removeEventListener("abort", onClientGone);
    return errorResponse(toRelayError(error), renderer, scope, outcome, abort.signal);
  }

  async function* replayThenRest(): AsyncGenerator<RelayEvent> {
    try {
      yield* buffered;
      while (true) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // A renderer that stops early (after finish) must still let the backend run its cleanup.
      await iterator.return?.(undefined);
    }
  }

  async function* framesWithOutcome(): AsyncGenerator<SseFrame> {
    try {
      yield* renderer.renderStream(replayThenRest());
    } finally {
      scope.request.signal.removeEventListener("abort", onClientGone);
      outcome.finish(abort.signal.aborted ? 499 : 200);
    }
  }

  return createSseResponse({
    frames: framesWithOutcome(),
    keepaliveFrame: renderer.keepaliveFrame,
    keepaliveIntervalMs: dependencies.keepaliveIntervalMs,
    headers: { "x-request-id": scope.requestId, ...routeHeaders(outcome.route) },
    onCancel: onClientGone,
    writeTimeoutMs: dependencies.config.writeTimeoutMs,
    onWriteTimeout: onClientStalled,
  });
}

/** Who is asking: a hash of the credentials the client presented and the end-user id it named. */
export function clientKeyOf(request: Request, relayRequest: Pick<RelayRequest, "userId">): string {
  const credential = request.headers.get("authorization") ?? request.headers.get("x-api-key") ?? "";
  return new Bun.CryptoHasher("sha256").update(credential).update("\u0000").update(relayRequest.userId ?? "").digest("hex");
}

function errorResponse(error: RelayError, renderer: ProtocolRenderer, scope: RequestScope, outcome: RequestOutcome, signal: AbortSignal): Response {
  const { status: renderedStatus, body } = renderer.renderError(error);
  outcome.fail(error, signal.aborted ? 499 : renderedStatus);
  const headers = { "x-request-id": scope.requestId, ...relayErrorHeaders(error), ...routeHeaders(error.route) };
  return Response.json(body, { status: renderedStatus, headers });
}

/** Header values are ASCII without control characters: anything else in a model name becomes "?". */
function headerValue(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}

/** Where the request went: the provider and model that answered, and the targets tried before (separated by "; "). */
export function routeHeaders(route: RelayRoute | undefined): Record<string, string> {
  if (!route) return {};
  const headers: Record<string, string> = { "x-agent-relay-provider": headerValue(route.provider), "x-agent-relay-model": headerValue(route.model) };
  if (route.fallbacks.length > 0) headers["x-agent-relay-fallbacks"] = headerValue(route.fallbacks.map((fallback) => `${fallback.target}: ${fallback.reason}`).join("; "));
  return headers;
}

function describeWarnings(warnings: RelayWarning[]): string[] {
  return warnings.map((warning) => `${warning.parameter}: ${warning.message}`);
}

/** Watches the event stream of one request for its log line and metrics. */
export class RequestOutcome {
  private firstTokenAt: number | undefined;
  private usage: RelayUsage | undefined;
  private model: string;
  /** The model the backend reported serving; metric labels use only this (a client's string could be anything). */
  private resolvedModel: string | undefined;
  private finishReason: string | undefined;
  private error: RelayError | undefined;
  private recorded = false;
  /** Where the request went, once the backend said (stream-start) or failed (the error's route). */
  route: RelayRoute | undefined;
  private warnings: RelayWarning[] = [];

  constructor(
    private readonly scope: RequestScope,
    request: Pick<RelayRequest, "model">,
    private readonly metrics: RelayMetrics,
    private readonly observation?: ReturnType<RelayRequestObserver["observe"]>,
    private readonly loginStatus?: BackendLoginStatus,
  ) {
    this.model = request.model;
  }

  /** Passes the answer's events on; the backend's reports go to the observers only, never to the client. */
  async *observe(events: AsyncIterable<RelayBackendEvent>): AsyncGenerator<RelayEvent> {
    try {
      for await (const event of events) {
        if (isRelayBackendReport(event)) {
          this.observation?.event(event);
          continue;
        }
        this.record(event);
        yield event;
      }
    } catch (error) {
      this.error = toRelayError(error);
      this.route = this.error.route ?? this.route;
      throw this.error;
    }
  }

  /** Takes note of one event of the answer (also called directly for passthrough answers). */
  record(event: RelayEvent): void {
    this.observation?.event(event);
    if (this.firstTokenAt === undefined && contentEvents.has(event.type)) this.firstTokenAt = performance.now();
    if (event.type === "stream-start") {
      this.noteModel(event.model);
      this.route = event.route ?? this.route;
      this.warnings = event.warnings ?? this.warnings;
    }
    if (event.type === "finish") {
      this.usage = event.usage;
      this.noteModel(event.model);
      this.finishReason = event.finishReason.raw ?? event.finishReason.unified;
    }
  }

  private noteModel(model: string | undefined): void {
    if (!model) return;
    this.model = model;
    this.resolvedModel = model;
  }

  fail(error: RelayError, status: number): void {
    this.error = error;
    this.route = error.route ?? this.route;
    this.finish(status);
  }

  finish(status: number): void {
    if (this.recorded) return;
    this.recorded = true;
    if (this.error) this.loginStatus?.noteFailure(this.error);
    else if (this.usage) this.loginStatus?.noteSuccess();
    const finalStatus = this.error && status === 200 ? `${status}+error` : String(status);
    this.observation?.finish({ status, error: this.error });
    const durationSeconds = (performance.now() - this.scope.startedAt) / 1000;
    const ttftSeconds = this.firstTokenAt === undefined ? undefined : (this.firstTokenAt - this.scope.startedAt) / 1000;
    const route = this.scope.route;
    // Labels come from what the backend resolved, never from the client's string (a fresh name per request would be a fresh series).
    const modelLabel = this.resolvedModel ?? "unresolved";
    this.metrics.requests.inc({ route, status: finalStatus, model: modelLabel, provider: this.route?.provider ?? "", provider_model: this.resolvedModel ? (this.route?.model ?? "") : "unresolved" });
    this.metrics.duration.observe({ route }, durationSeconds);
    if (ttftSeconds !== undefined) this.metrics.timeToFirstToken.observe({ route }, ttftSeconds);
    if (this.error && status !== 499) this.metrics.cliFailures.inc({ reason: this.error.code ?? this.error.kind });
    if (this.usage) {
      const model = modelLabel;
      this.metrics.tokens.inc({ kind: "input", model }, this.usage.inputTokens);
      this.metrics.tokens.inc({ kind: "output", model }, this.usage.outputTokens);
      this.metrics.tokens.inc({ kind: "cache_creation", model }, this.usage.cacheCreationInputTokens);
      this.metrics.tokens.inc({ kind: "cache_read", model }, this.usage.cacheReadInputTokens);
    }
    const fields = {
      method: this.scope.request.method,
      path: requestPath(this.scope.request),
      // The status the client received, as a number; an error after a 200 stream started is flagged beside it.
      status,
      ...(this.error && status === 200 ? { error_in_stream: true } : {}),
      model: this.model,
      provider: this.route?.provider ?? null,
      provider_model: this.route?.model ?? null,
      ...(this.route?.fallbacks.length ? { fallbacks: this.route.fallbacks.map((fallback) => `${fallback.target}: ${fallback.reason}`) } : {}),
      ...(this.warnings.length > 0 ? { warnings: describeWarnings(this.warnings) } : {}),
      duration_ms: Math.round(durationSeconds * 1000),
      ttft_ms: ttftSeconds === undefined ? null : Math.round(ttftSeconds * 1000),
      input_tokens: this.usage ? this.usage.inputTokens + this.usage.cacheCreationInputTokens + this.usage.cacheReadInputTokens : null,
      cache_read_tokens: this.usage?.cacheReadInputTokens ?? null,
      output_tokens: this.usage?.outputTokens ?? null,
      finish_reason: this.finishReason ?? null,
      ...(this.error && status !== 499 ? { error: this.error.message, error_kind: this.error.kind, error_detail: this.error.detail } : {}),
    };
    if (status === 499) this.scope.log.info("request cancelled by client", fields);
    else if (this.error) this.scope.log.warn("request failed", fields);
    else this.scope.log.info("request completed", fields);
  }
}
