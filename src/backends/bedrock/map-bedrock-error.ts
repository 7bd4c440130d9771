/**
 * AWS errors from Bedrock as RelayErrors. The error type comes from the x-amzn-ErrorType header (HTTP
 * errors), the body's __type, or the :exception-type header of a mid-stream exception frame; AWS spells it
 * `ThrottlingException`, `throttlingException` or `ThrottlingException:http://...` depending on the path.
 */
import { RelayError } from "../../core/relay-error.ts";
import { suggestInferenceProfileId } from "./bedrock-model-path.ts";

export interface BedrockErrorInput {
  /** The HTTP status (for a mid-stream exception frame, the status the exception type implies). */
  status?: number;
  errorType?: string;
  message: string;
  provider: string;
  modelId: string;
  region: string;
  retryAfterSeconds?: number;
}

/** `ThrottlingException:http://internal.amazon.com/...` -> `throttlingexception`. */
export function normaliseAwsErrorType(errorType: string | undefined): string {
  return (errorType ?? "").split(":")[0]!.split("#").pop()!.trim().toLowerCase();
}

export function mapBedrockError(input: BedrockErrorInput): RelayError {
  const type = normaliseAwsErrorType(input.errorType);
  const message = input.message || "Bedrock returned no error message.";
  const detail = `bedrock ${input.provider} ${input.modelId}: ${input.errorType ?? "unknown"} ${input.status ?? ""} ${message}`;
  if (/on-demand throughput isn.t supported/i.test(message)) {
    const suggestion = suggestInferenceProfileId(input.modelId, input.region);
    const hint = suggestion
      ? ` Route to an inference profile id instead, for example ${suggestion} (bedrock provider "${input.provider}").`
      : ` Route to an inference profile id or ARN instead (bedrock provider "${input.provider}").`;
    return new RelayError("invalid_request", `Bedrock cannot invoke ${input.modelId} on demand: ${message}.${hint}`, {
      code: "inference_profile_required",
      param: "model",
      detail,
    });
  }
  switch (type) {
    case "throttlingexception":
    case "servicequotaexceededexception":
    case "toomanyrequestsexception":
      return new RelayError("rate_limit", `Bedrock (provider "${input.provider}") is throttling requests: ${message}`, {
        retryable: true,
        retryAfterSeconds: input.retryAfterSeconds,
        detail,
      });
    case "serviceunavailableexception":
    case "modelnotreadyexception":
      return new RelayError("unavailable", `Bedrock (provider "${input.provider}") is unavailable: ${message}`, { retryable: true, detail });
    case "modelstreamerrorexception":
    case "internalserverexception":
    case "internalfailure":
    case "modelerrorexception":
      return new RelayError("api_error", `Bedrock (provider "${input.provider}") failed: ${message}`, { status: 502, retryable: true, detail });
    case "modeltimeoutexception":
      return new RelayError("timeout", `Bedrock (provider "${input.provider}") timed out: ${message}`, { retryable: true, detail });
    case "validationexception":
      return new RelayError("invalid_request", message, { detail });
    case "resourcenotfoundexception":
      return new RelayError("not_found", `Bedrock (provider "${input.provider}") has no model ${input.modelId}: ${message}`, {
        code: "model_not_found",
        param: "model",
        detail,
      });
    case "accessdeniedexception":
    case "unrecognizedclientexception":
    case "invalidsignatureexception":
    case "expiredtokenexception":
    case "incompletesignatureexception":
    case "missingauthenticationtokenexception":
      return backendAuthenticationError(input.provider, message, detail);
    default:
      return mapBedrockStatus(input, message, detail);
  }
}

function mapBedrockStatus(input: BedrockErrorInput, message: string, detail: string): RelayError {
  const status = input.status ?? 500;
  if (status === 401 || status === 403) return backendAuthenticationError(input.provider, message, detail);
  if (status === 429) return new RelayError("rate_limit", `Bedrock (provider "${input.provider}") is throttling requests: ${message}`, { retryable: true, detail });
  if (status === 400) return new RelayError("invalid_request", message, { detail });
  if (status === 404) return new RelayError("not_found", `Bedrock (provider "${input.provider}"): ${message}`, { detail });
  return new RelayError("api_error", `Bedrock (provider "${input.provider}") failed: ${message}`, { status: status >= 500 ? status : 502, retryable: true, detail });
}

/** The provider's credentials were refused: never a 401, which would blame the client's own key. */
export function backendAuthenticationError(provider: string, message: string, detail?: string): RelayError {
  return new RelayError("backend_authentication", `The relay's credentials for provider "${provider}" were rejected by Bedrock: ${message}`, {
    code: "provider_authentication_failed",
    detail,
  });
}
