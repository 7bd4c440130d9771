import { describe, expect, test } from "bun:test";
import { mapAnthropicError } from "../../../src/backends/anthropic-wire/map-anthropic-error.ts";

describe("mapAnthropicError", () => {
  const cases: Array<[number | undefined, string | undefined, number, string]> = [
    [400, "invalid_request_error", 400, "invalid_request"],
    [401, "authentication_error", 502, "backend_authentication"],
    [403, "permission_error", 502, "backend_authentication"],
    [404, "not_found_error", 404, "not_found"],
    [413, "request_too_large", 413, "request_too_large"],
    [429, "rate_limit_error", 429, "rate_limit"],
    [500, "api_error", 500, "api_error"],
    [529, "overloaded_error", 529, "overloaded"],
    [undefined, "overloaded_error", 529, "overloaded"],
    [undefined, "api_error", 500, "api_error"],
    [undefined, "brand_new_error", 500, "api_error"],
    [503, undefined, 503, "api_error"],
  ];
  for (const [status, type, expectedStatus, kind] of cases) {
    test(`${status ?? "in-stream"} ${type ?? "(no type)"} -> ${expectedStatus} ${kind}`, () => {
      const error = mapAnthropicError({ status, type, message: "upstream says no", provider: "gateway" });
      expect(error.status).toBe(expectedStatus);
      expect(error.kind).toBe(kind as any);
      if (kind === "backend_authentication") expect(error.message).toContain('provider "gateway"');
    });
  }
});
