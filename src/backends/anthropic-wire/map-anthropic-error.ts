/**
 * Anthropic API errors as RelayErrors, naming the provider: HTTP statuses through the one status mapping,
 * `error` events inside a stream (a type, no status) by their type.
 */
import { RelayError, type RelayErrorKind } from "../../core/relay-error.ts";
import { mapAnthropicErrorStatus } from "./map-anthropic-error-status.ts";

export interface AnthropicErrorInput {
  status?: number;
  /** `error.type`, e.g. "overloaded_error". */
  type?: string;
  message: string;
  /** The provider's name, so a rejected key names whose key it was. */
  provider: string;
  retryAfterSeconds?: number;
}

const kindByType: Record<string, RelayErrorKind> = {
  invalid_request_error: "invalid_request",
  not_found_error: "not_found",
  request_too_large: "request_too_large",
  rate_limit_error: "rate_limit",
  overloaded_error: "overloaded",
  api_error: "api_error",
  timeout_error: "timeout",
  billing_error: "backend_authentication",
};

export function mapAnthropicError(input: AnthropicErrorInput): RelayError {
  const message = input.message || "The upstream returned no error message.";
  const detail = `anthropic ${input.provider}: ${input.status ?? "in-stream"} ${input.type ?? ""} ${message}`;
  const credentialsRejected = `The relay's credentials for provider "${input.provider}" were rejected upstream: ${message}`;
  if (input.status !== undefined) {
    const mapped = mapAnthropicErrorStatus({ status: input.status, message, errorType: input.type, detail, credentialsRejected });
    if (input.retryAfterSeconds === undefined) return mapped;
    return new RelayError(mapped.kind, mapped.message, { status: mapped.status, code: mapped.code, retryable: mapped.retryable, detail, retryAfterSeconds: input.retryAfterSeconds });
  }
  // An `error` event inside a stream has a type but no status.
  if (input.type === "authentication_error" || input.type === "permission_error" || input.type === "billing_error") {
    return new RelayError("backend_authentication", credentialsRejected, { code: "backend_authentication_failed", detail });
  }
  const kind = (input.type ? kindByType[input.type] : undefined) ?? "api_error";
  const retryable = kind === "rate_limit" || kind === "overloaded" || kind === "api_error" || kind === "timeout" || kind === "unavailable";
  return new RelayError(kind, message, { retryable, detail });
}
