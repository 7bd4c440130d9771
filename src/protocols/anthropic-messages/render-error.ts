/** Neutral errors -> Anthropic error bodies: {type:"error",error:{type,message}}. */
import type { RelayError, RelayErrorKind } from "../../core/relay-error.ts";

const anthropicErrorType: Record<RelayErrorKind, string> = {
  invalid_request: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  request_too_large: "request_too_large",
  rate_limit: "rate_limit_error",
  api_error: "api_error",
  // Not authentication_error: that would tell the client its own key is wrong.
  backend_authentication: "api_error",
  overloaded: "overloaded_error",
  unavailable: "api_error",
  timeout: "timeout_error",
};

/** The error object, as it appears in an error response and in an `event: error` frame. */
export function renderAnthropicErrorObject(error: RelayError) {
  return { type: "error", error: { type: anthropicErrorType[error.kind], message: error.message } };
}

export function renderAnthropicError(error: RelayError, requestId?: string): { status: number; body: unknown } {
  return { status: error.status, body: { ...renderAnthropicErrorObject(error), request_id: requestId ?? null } };
}
