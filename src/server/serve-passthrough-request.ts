/**
 * Offers a request to the backend's passthrough path (see core/relay-passthrough.ts) and, when the backend
 * takes it, answers with the upstream's own response. The log line and the metrics come from the parsed
 * copy the backend reports, exactly as for translated requests; disconnects abort the upstream at once.
 * Returns undefined when the backend does not forward this request: the caller then serves it through the hub.
 */
import { RelayError, relayErrorHeaders, toRelayError } from "../core/relay-error.ts";
import { forwardableResponseHeaders, PassthroughUpstreamError, type PassthroughRequest } from "../core/relay-passthrough.ts";
import type { RelayRequest } from "../core/relay-request.ts";
import { markServedAsRelayRequest } from "./request-context.ts";
import { clientKeyOf, RequestOutcome, routeHeaders, type RequestScope, type ServeDependencies } from "./serve-relay-request.ts";

export interface PassthroughServeOptions {
  /** Renders an error the relay itself answers with, in the client's protocol. */
  renderError(error: RelayError): { status: number; body: unknown };
  /** The request in neutral form, for the inspector and telemetry (only called when one observes). */
  describe(): RelayRequest;
}

export async function servePassthroughRequest(
  scope: RequestScope,
  request: PassthroughRequest,
  dependencies: ServeDependencies,
  options: PassthroughServeOptions,
): Promise<Response | undefined> {
  const backend = dependencies.backend;
  const model = String(request.parsed.model ?? "");
  if (!backend.passthrough || !backend.supportsPassthrough?.(request.protocol, model)) return undefined;
  const abort = new AbortController();
  const onClientGone = () => abort.abort(new RelayError("api_error", "client disconnected", { status: 499 }));
  // The neutral form is built when an observer first reads it (the inspector's writer, after the answer went
  // out), not before the request goes upstream: on a long conversation it is a walk over every message.
  let described: RelayRequest | undefined;
  const start = { ...scope, get relayRequest() { return (described ??= options.describe()); } };
  const outcome = new RequestOutcome(scope, { model }, dependencies.metrics, dependencies.observer?.observe(start), dependencies.loginStatus);
  const userId = (request.parsed.metadata as { user_id?: unknown } | undefined)?.user_id;
  const started = backend.passthrough(request, {
    signal: abort.signal,
    requestId: scope.requestId,
    log: scope.log,
    clientKey: clientKeyOf(scope.request, { userId: typeof userId === "string" ? userId : undefined }),
    model,
    onEvent: (event) => outcome.record(event),
  });

  markServedAsRelayRequest(scope.request);
  dependencies.disableIdleTimeout(scope.request);
  if (scope.request.signal.aborted) onClientGone();
  scope.request.signal.addEventListener("abort", onClientGone, { once: true });
  const stopWatching = () => scope.request.signal.removeEventListener("abort", onClientGone);
  try {
    const passthroughResponse = await started;
    const { response, completion } = passthroughResponse;
    completion.then(
      () => {
        stopWatching();
        outcome.finish(abort.signal.aborted ? 499 : response.status);
      },
      (error) => {
        stopWatching();
        if (abort.signal.aborted) outcome.finish(499);
        else outcome.fail(toRelayError(error), response.status);
      },
    );
    const headers = new Headers(response.headers);
    keepRelayRequestId(headers, scope.requestId);
    for (const [name, value] of Object.entries(routeHeaders(passthroughResponse.route))) headers.set(name, value);
    return new Response(response.body, { status: response.status, headers });
  } catch (error) {
    stopWatching();
    const relayError = toRelayError(error);
    const upstream = relayError instanceof PassthroughUpstreamError ? relayError.upstreamResponse : undefined;
    // The upstream's own error answer, as it sent it; but rejected provider credentials are the relay's
    // 502 naming the provider, so the client never thinks its own key was wrong.
    if (upstream && relayError.kind !== "backend_authentication") {
      outcome.fail(relayError, abort.signal.aborted ? 499 : upstream.status);
      const headers = forwardableResponseHeaders(upstream.headers);
      keepRelayRequestId(headers, scope.requestId);
      for (const [name, value] of Object.entries(routeHeaders(relayError.route))) headers.set(name, value);
      return new Response(upstream.body, { status: upstream.status, headers });
    }
    const { status, body } = options.renderError(relayError);
    outcome.fail(relayError, abort.signal.aborted ? 499 : status);
    const headers = new Headers({ "x-request-id": scope.requestId, ...relayErrorHeaders(relayError) });
    for (const [name, value] of Object.entries(routeHeaders(relayError.route))) headers.set(name, value);
    return Response.json(body, { status, headers });
  }
}

/**
 * Our x-request-id names the request in the relay's log and inspector. An upstream that uses the same header
 * (OpenAI and most compatible APIs do) keeps its id beside ours as x-upstream-request-id.
 */
function keepRelayRequestId(headers: Headers, requestId: string): void {
  const upstreamId = headers.get("x-request-id");
  if (upstreamId !== null && upstreamId !== requestId && !headers.has("x-upstream-request-id")) headers.set("x-upstream-request-id", upstreamId);
  headers.set("x-request-id", requestId);
}
