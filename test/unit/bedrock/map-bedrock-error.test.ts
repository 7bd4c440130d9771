import { describe, expect, test } from "bun:test";
import { mapBedrockError } from "../../../src/backends/bedrock/map-bedrock-error.ts";

const base = { provider: "aws", modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0", region: "us-east-1" };

describe("mapBedrockError", () => {
  const cases: Array<[string, number, string, number, string]> = [
    ["ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", 429, "Too many requests", 429, "rate_limit"],
    ["throttlingException", 429, "Too many tokens", 429, "rate_limit"],
    ["ServiceUnavailableException", 503, "busy", 503, "unavailable"],
    ["ModelNotReadyException", 429, "not ready", 503, "unavailable"],
    ["ModelStreamErrorException", 424, "stream broke", 502, "api_error"],
    ["InternalServerException", 500, "oops", 502, "api_error"],
    ["ModelTimeoutException", 408, "slow", 504, "timeout"],
    ["ValidationException", 400, "messages: roles must alternate", 400, "invalid_request"],
    ["AccessDeniedException", 403, "You don't have access to the model", 502, "backend_authentication"],
    ["UnrecognizedClientException", 403, "The security token included in the request is invalid.", 502, "backend_authentication"],
    ["InvalidSignatureException", 403, "signature mismatch", 502, "backend_authentication"],
    ["ResourceNotFoundException", 404, "Could not resolve the foundation model", 404, "not_found"],
    ["SomethingNewException", 500, "unknown", 500, "api_error"],
  ];
  for (const [errorType, status, message, expectedStatus, kind] of cases) {
    test(`${errorType} ${status} -> ${expectedStatus} ${kind}`, () => {
      const error = mapBedrockError({ ...base, status, errorType, message });
      expect(error.status).toBe(expectedStatus);
      expect(error.kind).toBe(kind as any);
      if (kind === "backend_authentication") expect(error.message).toContain('provider "aws"');
      if (kind === "invalid_request") expect(error.message).toBe(message);
    });
  }

  test("on-demand throughput: a 400 naming the inference profile to use", () => {
    const error = mapBedrockError({
      ...base,
      status: 400,
      errorType: "ValidationException",
      message: "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
    });
    expect(error.status).toBe(400);
    expect(error.param).toBe("model");
    expect(error.message).toContain("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  });

  test("throttling keeps the retry-after hint", () => {
    expect(mapBedrockError({ ...base, status: 429, errorType: "ThrottlingException", message: "slow down", retryAfterSeconds: 3 }).retryAfterSeconds).toBe(3);
  });
});
