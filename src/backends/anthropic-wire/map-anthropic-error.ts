/** Anthropic API errors (an HTTP status and `error.type`, or an `error` event inside a stream) as RelayErrors. */
import { RelayError, type RelayErrorKind } from "../../core/relay-error.ts";

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
  // The provider's credentials were refused: never a 401/403, which would blame the client's own key.
  if (input.status === 401 || input.status === 403 || input.type === "authentication_error" || input.type === "permission_error" || input.type === "billing_error") {
    return new RelayError("backend_authentication", `The relay's credentials for provider "${input.provider}" were rejected upstream: ${message}`, {
      code: "provider_authentication_failed",
      detail,
    });
  }
  const kind = (input.type ? kindByType[input.type] : undefined) ?? kindFromStatus(input.status);
  const retryable = kind === "rate_limit" || kind === "overloaded" || kind === "api_error" || kind === "timeout" || kind === "unavailable";
  return new RelayError(kind, message, {
    status: input.status && input.status >= 400 ? input.status : undefined,
    retryAfterSeconds: input.retryAfterSeconds,
    retryable,
    detail,
  });
}

function kindFromStatus(status: number | undefined): RelayErrorKind {
  switch (status) {
    case 400:
    case 422:
      return "invalid_request";
    case 404:
      return "not_found";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit";
    case 503:
      return "unavailable";
    case 504:
      return "timeout";
    case 529:
      return "overloaded";
    default:
      return "api_error";
  }
}
