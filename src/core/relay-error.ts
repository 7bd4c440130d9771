/**
 * Errors the relay reports to clients. Each carries a neutral kind and an HTTP status;
 * the protocol folders turn them into their own error bodies.
 */
import type { RelayRoute } from "./relay-event.ts";

/** What went wrong, independent of any client protocol. */
export type RelayErrorKind =
  /** The client's request is malformed or asks for something the backend cannot do. */
  | "invalid_request"
  /** The client's key for this relay is missing or wrong. */
  | "authentication"
  /** The client may not do this. */
  | "permission"
  /** The route or model does not exist. */
  | "not_found"
  /** The request body is too large. */
  | "request_too_large"
  /** Too many requests: upstream rate limit, or the relay's own queue is full. */
  | "rate_limit"
  /** The backend failed. */
  | "api_error"
  /** The backend's own login is missing or rejected; not the client's fault. */
  | "backend_authentication"
  /** The upstream model service is overloaded. */
  | "overloaded"
  /** The relay cannot serve requests right now (backend missing, shutting down). */
  | "unavailable"
  /** The backend stopped answering. */
  | "timeout";

const defaultStatus: Record<RelayErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  request_too_large: 413,
  rate_limit: 429,
  api_error: 500,
  backend_authentication: 502,
  overloaded: 529,
  unavailable: 503,
  timeout: 504,
};

export interface RelayErrorOptions {
  /** HTTP status; defaults to the kind's usual status. */
  status?: number;
  /** The request parameter at fault, for invalid requests. */
  param?: string | null;
  /** A short machine-readable code, e.g. "model_not_found". */
  code?: string | null;
  /** Seconds the client should wait before retrying. */
  retryAfterSeconds?: number;
  /** Whether retrying the same request can help; sent as x-should-retry. */
  retryable?: boolean;
  /** Internal detail for the log only, never sent to the client. */
  detail?: string;
  /** Where the request went before it failed (set by the router), for the response headers and the log. */
  route?: RelayRoute;
  cause?: unknown;
}

/** An error with a client-safe message, a neutral kind and an HTTP status. */
export class RelayError extends Error {
  readonly kind: RelayErrorKind;
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean | undefined;
  readonly detail: string | undefined;
  readonly route: RelayRoute | undefined;

  constructor(kind: RelayErrorKind, message: string, options: RelayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "RelayError";
    this.kind = kind;
    this.status = options.status ?? defaultStatus[kind];
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = options.retryable;
    this.detail = options.detail;
    this.route = options.route;
  }

  /** The same error, saying where the request went before it failed. */
  withRoute(route: RelayRoute): RelayError {
    const { kind, message, status, param, code, retryAfterSeconds, retryable, detail, cause } = this;
    return new RelayError(kind, message, { status, param, code, retryAfterSeconds, retryable, detail, cause, route });
  }
}

/** Any thrown value as a RelayError; unknown errors become a generic 500 whose detail goes to the log. */
export function toRelayError(error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return new RelayError("api_error", "The relay failed to process the request.", { detail, cause: error });
}

/** A backend stream that ended without its finish event: the answer is incomplete, whatever came before. */
export function incompleteResponseError(): RelayError {
  return new RelayError("api_error", "The backend ended without completing the response.", { status: 502, retryable: true });
}

/** Response headers that tell clients how to retry this error. */
export function relayErrorHeaders(error: RelayError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(0, Math.ceil(error.retryAfterSeconds)));
  if (error.retryable !== undefined) headers["x-should-retry"] = String(error.retryable);
  return headers;
}
