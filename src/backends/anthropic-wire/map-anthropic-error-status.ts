/**
 * An Anthropic upstream's HTTP error status -> a neutral RelayError with the status and kind a client acts
 * on. Used for the claude CLI's reported api_error_status now, and for the Anthropic API and Bedrock next.
 */
import { RelayError } from "../../core/relay-error.ts";

export interface AnthropicErrorStatusInput {
  /** The upstream's HTTP status. */
  status: number;
  /** The upstream's error message, safe to show. */
  message: string;
  /** The upstream's error.type, when known (e.g. "overloaded_error"). */
  errorType?: string;
  /** Internal detail for the log. */
  detail?: string;
  /** What to tell the client when the relay's own upstream credentials were rejected (401/403). */
  credentialsRejected: string;
}

/** The neutral error for an upstream HTTP error status. */
export function mapAnthropicErrorStatus(input: AnthropicErrorStatusInput): RelayError {
  const { status, message, detail } = input;
  if (status === 401 || status === 403) {
    // The relay's credentials, not the client's: never a 401 that blames the client's key.
    return new RelayError("backend_authentication", input.credentialsRejected, { code: "backend_authentication_failed", retryable: false, detail });
  }
  if (status === 429) return new RelayError("rate_limit", `The upstream rate limit was reached: ${message}`, { code: "rate_limit_exceeded", retryable: true, detail });
  if (status === 529 || input.errorType === "overloaded_error") {
    return new RelayError("overloaded", `The upstream is overloaded: ${message}`, { code: "overloaded", retryable: true, detail });
  }
  if (status === 400 || status === 422) {
    const tooLong = /prompt is too long/i.test(message);
    return new RelayError("invalid_request", message, { status: 400, code: tooLong ? "context_length_exceeded" : null, detail });
  }
  if (status === 404) return new RelayError("not_found", message, { code: "model_not_found", detail });
  if (status === 413) return new RelayError("request_too_large", message, { detail });
  if (status >= 500) return new RelayError("api_error", `The upstream failed: ${message}`, { status, retryable: true, detail });
  return new RelayError("invalid_request", message, { status, detail });
}
