/** Neutral errors -> OpenAI error bodies: {error:{message,type,param,code}}. */
import type { RelayError, RelayErrorKind } from "../../core/relay-error.ts";

const openAIErrorType: Record<RelayErrorKind, string> = {
  invalid_request: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  request_too_large: "invalid_request_error",
  rate_limit: "rate_limit_error",
  api_error: "server_error",
  backend_authentication: "server_error",
  overloaded: "server_error",
  unavailable: "server_error",
  timeout: "server_error",
};

/**
 * The error object, as it appears in an error response and in a mid-stream error chunk. A prompt too long for
 * the model names the conversation as its parameter, as the API does (`messages`; the Responses API's `input`).
 */
export function renderOpenAIErrorObject(error: RelayError, promptParameter = "messages") {
  return {
    message: error.message,
    type: openAIErrorType[error.kind],
    param: error.param ?? (error.code === "context_length_exceeded" ? promptParameter : null),
    code: error.code ?? (error.kind === "authentication" ? "invalid_api_key" : null),
  };
}

export function renderOpenAIError(error: RelayError, _requestId?: string, promptParameter = "messages"): { status: number; body: unknown } {
  // 529 is Anthropic's own status; OpenAI clients know overload as 503.
  const status = error.status === 529 ? 503 : error.status;
  return { status, body: { error: renderOpenAIErrorObject(error, promptParameter) } };
}
