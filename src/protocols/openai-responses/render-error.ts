/**
 * Neutral errors -> the Responses API's error shapes. HTTP error bodies are the OpenAI shape shared with Chat
 * Completions; a stream adds the flat `error` event and the `error` field of a failed response.
 */
import type { RelayError } from "../../core/relay-error.ts";
import { renderOpenAIError, renderOpenAIErrorObject } from "../openai-chat/render-error.ts";

/** Status and body of an error sent instead of a response: the same as every OpenAI endpoint's (the prompt is `input`). */
export const renderOpenAIResponsesError = (error: RelayError, requestId?: string) => renderOpenAIError(error, requestId, "input");

/**
 * The `error` of a failed response object. Its code is one of the API's own (clients such as Codex act on
 * `rate_limit_exceeded` and `context_length_exceeded`); the relay's finer codes stay in the log.
 */
export function renderOpenAIResponsesErrorDetails(error: RelayError) {
  return { code: responseErrorCode(error), message: error.message };
}

/** The `error` stream event (flat, as the API sends it) for a failure after output started. */
export function renderOpenAIResponsesErrorEvent(error: RelayError) {
  const object = renderOpenAIErrorObject(error, "input");
  return { type: "error" as const, code: object.code ?? object.type, message: object.message, param: object.param };
}

/** The codes of a failed response's `error` the relay uses (a subset of the API's). */
export type OpenAIResponsesErrorCode = "context_length_exceeded" | "rate_limit_exceeded" | "invalid_prompt" | "server_error";

function responseErrorCode(error: RelayError): OpenAIResponsesErrorCode {
  if (error.code === "context_length_exceeded") return "context_length_exceeded";
  switch (error.kind) {
    case "rate_limit":
      return "rate_limit_exceeded";
    case "invalid_request":
      return "invalid_prompt";
    case "authentication":
    case "permission":
    case "not_found":
    case "request_too_large":
    case "api_error":
    case "backend_authentication":
    case "overloaded":
    case "unavailable":
    case "timeout":
      return "server_error";
    default: {
      const unreachable: never = error.kind;
      return unreachable;
    }
  }
}
