import { describe, expect, test } from "bun:test";
import { mapAnthropicContentBlockType } from "../../src/backends/anthropic-wire/map-anthropic-content-block.ts";
import { mapAnthropicContentDelta } from "../../src/backends/anthropic-wire/map-anthropic-content-delta.ts";
import { mapAnthropicErrorStatus } from "../../src/backends/anthropic-wire/map-anthropic-error-status.ts";
import { mapAnthropicUsage } from "../../src/backends/anthropic-wire/map-anthropic-usage.ts";
import { mapRelayContentToAnthropic } from "../../src/backends/anthropic-wire/map-relay-content-to-anthropic.ts";

describe("Anthropic usage", () => {
  test("fields map one to one; missing and null ones are 0", () => {
    expect(mapAnthropicUsage({ input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 3, cache_read_input_tokens: null })).toEqual({
      inputTokens: 12,
      outputTokens: 5,
      cacheCreationInputTokens: 3,
      cacheReadInputTokens: 0,
    });
    expect(mapAnthropicUsage(undefined)).toEqual({ inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
  });
});

describe("Anthropic content blocks and deltas", () => {
  test.each([
    ["text", "text"],
    ["thinking", "reasoning"],
    ["redacted_thinking", "reasoning"],
    ["tool_use", "tool-call"],
    ["server_tool_use", "other"],
    ["web_search_tool_result", "other"],
    ["something_new", "other"],
  ])("block %s is %s", (type, kind) => {
    expect(mapAnthropicContentBlockType(type)).toBe(kind as never);
  });

  test("each delta type, unknown and empty ones included", () => {
    expect(mapAnthropicContentDelta({ type: "text_delta", text: "Hi" }, "b")).toEqual([{ type: "text-delta", id: "b", delta: "Hi" }]);
    expect(mapAnthropicContentDelta({ type: "thinking_delta", thinking: "Hmm" }, "b")).toEqual([{ type: "reasoning-delta", id: "b", delta: "Hmm" }]);
    expect(mapAnthropicContentDelta({ type: "signature_delta", signature: "sig" }, "b")).toEqual([
      { type: "reasoning-delta", id: "b", delta: "", providerMetadata: { anthropic: { signature: "sig" } } },
    ]);
    expect(mapAnthropicContentDelta({ type: "input_json_delta", partial_json: '{"a"' }, "b")).toEqual([{ type: "tool-input-delta", id: "b", delta: '{"a"' }]);
    expect(mapAnthropicContentDelta({ type: "text_delta", text: "" }, "b")).toEqual([]);
    expect(mapAnthropicContentDelta({ type: "citations_delta" }, "b")).toEqual([]);
  });
});

describe("Anthropic error statuses", () => {
  const map = (status: number, message = "upstream says no", errorType?: string) =>
    mapAnthropicErrorStatus({ status, message, errorType, credentialsRejected: "the relay's key was rejected" });

  test.each([
    [400, "invalid_request", 400],
    [401, "backend_authentication", 502],
    [403, "backend_authentication", 502],
    [404, "not_found", 404],
    [413, "request_too_large", 413],
    [422, "invalid_request", 400],
    [429, "rate_limit", 429],
    [500, "api_error", 500],
    [503, "api_error", 503],
    [529, "overloaded", 529],
    [418, "invalid_request", 418],
  ])("%i -> %s with status %i", (status, kind, expectedStatus) => {
    expect(map(status)).toMatchObject({ kind, status: expectedStatus });
  });

  test("the relay's rejected credentials never read as the client's: a 502 with the given message", () => {
    expect(map(401)).toMatchObject({ message: "the relay's key was rejected", code: "backend_authentication_failed" });
  });

  test("an overloaded_error type is overloaded whatever the status; a long prompt is context_length_exceeded", () => {
    expect(map(500, "Overloaded", "overloaded_error").kind).toBe("overloaded");
    expect(map(400, "prompt is too long: 210000 tokens > 200000 maximum").code).toBe("context_length_exceeded");
  });
});

describe("neutral content -> Anthropic blocks", () => {
  test("cache breakpoints go out as cache_control only when asked (never to the claude CLI)", () => {
    const parts = [{ type: "text" as const, text: "Long document", cacheControl: { type: "ephemeral" as const, ttl: "1h" } }];
    expect(mapRelayContentToAnthropic(parts)).toEqual([{ type: "text", text: "Long document" }]);
    expect(mapRelayContentToAnthropic(parts, { cacheControl: true })).toEqual([{ type: "text", text: "Long document", cache_control: { type: "ephemeral", ttl: "1h" } }]);
  });

  test("thinking goes back only with its signature; redacted thinking with its data", () => {
    expect(
      mapRelayContentToAnthropic([
        { type: "reasoning", text: "unsigned" },
        { type: "reasoning", text: "signed", providerMetadata: { anthropic: { signature: "sig" } } },
        { type: "reasoning", text: "", providerMetadata: { anthropic: { redactedData: "ENC" } } },
      ]),
    ).toEqual([
      { type: "thinking", thinking: "signed", signature: "sig" },
      { type: "redacted_thinking", data: "ENC" },
    ]);
  });
});
