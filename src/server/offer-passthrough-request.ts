/**
 * The one place a protocol's route offers its request to the passthrough path (serve-passthrough-request.ts):
 * the body bytes as the client sent them, its headers and query, and how the protocol renders the relay's own
 * errors. Resolves to undefined when the route's backend does not forward the request untranslated.
 */
import type { PassthroughProtocol } from "../core/relay-passthrough.ts";
import type { RelayError } from "../core/relay-error.ts";
import type { RelayRequest } from "../core/relay-request.ts";
import type { AppDependencies } from "./app-dependencies.ts";
import { rawBodyOf } from "./raw-request-body.ts";
import { getRequestContext } from "./request-context.ts";
import { servePassthroughRequest } from "./serve-passthrough-request.ts";

export interface PassthroughOffer {
  request: Request;
  /** The body as the protocol's schema validated it. */
  body: Record<string, unknown>;
  protocol: PassthroughProtocol;
  /** The route for the log line and metrics, e.g. "/v1/chat/completions". */
  route: string;
  renderError(error: RelayError, requestId: string): { status: number; body: unknown };
  /** The request in neutral form, for the inspector and telemetry. */
  describe(): RelayRequest;
}

export async function offerPassthroughRequest(dependencies: AppDependencies, offer: PassthroughOffer): Promise<Response | undefined> {
  // Decided before anything is built: most requests of most setups are not passed through.
  const backend = dependencies.backend;
  if (!backend.passthrough || !backend.supportsPassthrough?.(offer.protocol, String(offer.body.model ?? ""))) return undefined;
  const raw = rawBodyOf(offer.request);
  if (!raw) return undefined;
  const context = getRequestContext(offer.request, dependencies.log);
  return servePassthroughRequest(
    { ...context, request: offer.request, route: offer.route },
    { protocol: offer.protocol, body: raw, parsed: offer.body, headers: offer.request.headers, search: new URL(offer.request.url).search, stream: offer.body.stream === true },
    { ...dependencies, keepaliveIntervalMs: dependencies.config.keepaliveIntervalMs },
    { renderError: (error) => offer.renderError(error, context.requestId), describe: offer.describe },
  );
}
