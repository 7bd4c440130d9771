/**
 * Whether a target's failure lets the router try the next target of the route: only failures of the
 * target itself (unreachable, timed out, rate limited, overloaded, 5xx), never the request's own fault.
 */
import type { RelayError } from "../core/relay-error.ts";

/** True when another target might answer where this one failed. */
export function isFallbackWorthy(error: RelayError): boolean {
  switch (error.kind) {
    case "rate_limit":
    case "overloaded":
    case "unavailable":
    case "timeout":
    case "api_error":
    case "backend_authentication":
      return true;
    case "invalid_request":
    case "authentication":
    case "permission":
    case "not_found":
    case "request_too_large":
      return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
    default: {
      const unreachable: never = error.kind;
      return unreachable;
    }
  }
}

/** A short reason for the fallbacks header and log, e.g. "429 rate limited, retry after 3s". */
export function describeTargetFailure(error: RelayError): string {
  const retry = error.retryAfterSeconds !== undefined ? `, retry after ${Math.ceil(error.retryAfterSeconds)}s` : "";
  const words: Record<RelayError["kind"], string> = {
    rate_limit: "rate limited",
    overloaded: "overloaded",
    unavailable: "unavailable",
    timeout: "timed out",
    api_error: "failed",
    backend_authentication: "key rejected",
    invalid_request: "invalid request",
    authentication: "authentication failed",
    permission: "permission denied",
    not_found: "not found",
    request_too_large: "request too large",
  };
  const code = error.code ? ` (${error.code})` : "";
  return `${error.status} ${words[error.kind]}${code}${retry}`;
}
