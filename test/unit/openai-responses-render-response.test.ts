import { describe, expect, test } from "bun:test";
import { RelayError, type RelayErrorKind } from "../../src/core/relay-error.ts";
import type { RelayFinishReason, RelayResponse } from "../../src/core/relay-event.ts";
import { mapOpenAIResponsesOutcome } from "../../src/protocols/openai-responses/map-response-status.ts";
import { pageOpenAIResponsesInputItems } from "../../src/protocols/openai-responses/page-input-items.ts";
import { decodeReasoningEncryptedContent, encodeReasoningEncryptedContent } from "../../src/protocols/openai-responses/reasoning-encrypted-content.ts";
import { renderOpenAIResponsesError, renderOpenAIResponsesErrorDetails } from "../../src/protocols/openai-responses/render-error.ts";
import { echoOpenAIResponsesParameters, renderOpenAIResponsesResponse } from "../../src/protocols/openai-responses/render-response.ts";
import type { OpenAIResponsesRequest } from "../../src/protocols/openai-responses/schema.ts";
import { usage } from "./relay-events.ts";

const context = (body: Partial<OpenAIResponsesRequest> = {}) => ({
  id: "resp_test",
  createdAt: 1_700_000_000,
  model: "sonnet",
  parameters: echoOpenAIResponsesParameters({ model: "sonnet", input: "hi", ...body } as OpenAIResponsesRequest),
});

const response = (fields: Partial<RelayResponse> = {}): RelayResponse => ({
  id: "msg_1",
  model: "claude-sonnet-5",
  content: [{ type: "text", text: "Hello." }],
  finishReason: { unified: "stop", raw: "end_turn" },
  usage: usage({ inputTokens: 12, outputTokens: 3, cacheCreationInputTokens: 5, cacheReadInputTokens: 40 }),
  ...fields,
});

describe("renderOpenAIResponsesResponse", () => {
  test("text, reasoning and tool calls become message, reasoning and function_call items in order; output_text joins the messages", () => {
    const rendered = renderOpenAIResponsesResponse(
      response({
        content: [
          { type: "reasoning", text: "Hmm.", providerMetadata: { anthropic: { signature: "sig" } } },
          { type: "text", text: "First. " },
          { type: "tool-call", id: "toolu_1", name: "get_weather", input: '{"city":"Oslo"}' },
          { type: "text", text: "Second." },
        ],
        finishReason: { unified: "tool-calls", raw: "tool_use" },
      }),
      context(),
    );
    expect(rendered.output.map((item) => [item.type, item.id.split("_")[0]])).toEqual([
      ["reasoning", "rs"],
      ["message", "msg"],
      ["function_call", "fc"],
      ["message", "msg"],
    ]);
    expect(rendered.output[2]).toMatchObject({ call_id: "toolu_1", name: "get_weather", arguments: '{"city":"Oslo"}', status: "completed" });
    expect(rendered.output_text).toBe("First. Second.");
    expect(rendered.status).toBe("completed");
  });

  test("usage: input_tokens counts cache reads and writes, cached_tokens the reads", () => {
    expect(renderOpenAIResponsesResponse(response(), context()).usage).toEqual({
      input_tokens: 57,
      input_tokens_details: { cached_tokens: 40, cache_write_tokens: 5 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 60,
    });
  });

  test("the envelope echoes the request's parameters, with the API's defaults when absent", () => {
    const plain = renderOpenAIResponsesResponse(response(), context());
    expect(plain).toMatchObject({
      id: "resp_test",
      object: "response",
      created_at: 1_700_000_000,
      model: "claude-sonnet-5",
      instructions: null,
      metadata: {},
      parallel_tool_calls: true,
      previous_response_id: null,
      store: true,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      truncation: "disabled",
      error: null,
      incomplete_details: null,
    });
    const echoed = renderOpenAIResponsesResponse(response(), context({ instructions: "Be brief.", store: false, metadata: { a: "b" }, previous_response_id: "resp_0", max_output_tokens: 9 }));
    expect(echoed).toMatchObject({ instructions: "Be brief.", store: false, metadata: { a: "b" }, previous_response_id: "resp_0", max_output_tokens: 9 });
  });
});

describe("mapOpenAIResponsesOutcome", () => {
  const cases: Array<[RelayFinishReason["unified"], ReturnType<typeof mapOpenAIResponsesOutcome>["status"], string | undefined]> = [
    ["stop", "completed", undefined],
    ["stop-sequence", "completed", undefined],
    ["tool-calls", "completed", undefined],
    ["pause", "completed", undefined],
    ["other", "completed", undefined],
    ["length", "incomplete", "max_output_tokens"],
    ["content-filter", "incomplete", "content_filter"],
    ["error", "failed", undefined],
  ];
  test.each(cases)("%s -> %s %s", (unified, status, reason) => {
    const outcome = mapOpenAIResponsesOutcome({ unified, raw: null });
    expect(outcome.status).toBe(status);
    if (outcome.status === "incomplete") expect(outcome.reason).toBe(reason as "max_output_tokens");
  });
});

describe("Responses errors", () => {
  const kinds: Array<[RelayErrorKind, string]> = [
    ["rate_limit", "rate_limit_exceeded"],
    ["invalid_request", "invalid_prompt"],
    ["overloaded", "server_error"],
    ["timeout", "server_error"],
    ["backend_authentication", "server_error"],
  ];
  test.each(kinds)("a failed response's error code for %s is %s", (kind, code) => {
    expect(renderOpenAIResponsesErrorDetails(new RelayError(kind, "m"))).toEqual({ code: code as never, message: "m" });
  });

  test("context_length_exceeded keeps its code (Codex acts on it)", () => {
    expect(renderOpenAIResponsesErrorDetails(new RelayError("invalid_request", "too long", { code: "context_length_exceeded" })).code).toBe("context_length_exceeded");
  });

  test("HTTP error bodies are the OpenAI shape; overload is a 503", () => {
    expect(renderOpenAIResponsesError(new RelayError("overloaded", "busy"))).toEqual({ status: 503, body: { error: { message: "busy", type: "server_error", param: null, code: null } } });
  });
});

describe("reasoning encrypted_content", () => {
  test("round-trips a signature and redacted data; anything not issued by the relay decodes to nothing", () => {
    expect(decodeReasoningEncryptedContent(encodeReasoningEncryptedContent({ signature: "sig" })!)).toEqual({ signature: "sig", redactedData: undefined });
    expect(decodeReasoningEncryptedContent(encodeReasoningEncryptedContent({ redactedData: "blob" })!)).toEqual({ signature: undefined, redactedData: "blob" });
    expect(encodeReasoningEncryptedContent({})).toBeUndefined();
    expect(decodeReasoningEncryptedContent("gAAAAABopenai")).toBeUndefined();
    expect(decodeReasoningEncryptedContent(Buffer.from('{"signature":"forged"}').toString("base64"))).toBeUndefined();
  });
});

describe("pageOpenAIResponsesInputItems", () => {
  const items = ["a", "b", "c", "d"].map((id) => ({ id, type: "message" }));
  const ids = (page: { data: Array<Record<string, unknown>> }) => page.data.map((item) => item.id);

  test("newest first by default, 20 per page", () => {
    const page = pageOpenAIResponsesInputItems(items, {});
    expect(ids(page)).toEqual(["d", "c", "b", "a"]);
    expect(page).toMatchObject({ object: "list", first_id: "d", last_id: "a", has_more: false });
  });

  test("asc, limit and after page through the list", () => {
    const first = pageOpenAIResponsesInputItems(items, { order: "asc", limit: 2 });
    expect([ids(first), first.has_more]).toEqual([["a", "b"], true]);
    const second = pageOpenAIResponsesInputItems(items, { order: "asc", limit: 2, after: first.last_id! });
    expect([ids(second), second.has_more]).toEqual([["c", "d"], false]);
  });

  test("an unknown after gives an empty page, so a client paging on stops", () => {
    expect(pageOpenAIResponsesInputItems(items, { after: "zzz" })).toEqual({ object: "list", data: [], first_id: null, last_id: null, has_more: false });
  });
});
