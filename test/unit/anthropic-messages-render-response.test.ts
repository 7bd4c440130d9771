import { describe, expect, test } from "bun:test";
import type { RelayResponse } from "../../src/core/relay-event.ts";
import { renderAnthropicMessagesResponse } from "../../src/protocols/anthropic-messages/render-response.ts";
import { renderAnthropicUsage } from "../../src/protocols/anthropic-messages/render-usage.ts";
import { usage } from "./relay-events.ts";

const render = (fields: Partial<RelayResponse> = {}) =>
  renderAnthropicMessagesResponse(
    {
      id: "msg_upstream",
      model: "claude-sonnet-5",
      content: [{ type: "text", text: "Hello." }],
      finishReason: { unified: "stop", raw: "end_turn" },
      usage: usage({ inputTokens: 10, outputTokens: 5 }),
      ...fields,
    },
    { id: "msg_relay_1" },
  );

describe("renderAnthropicMessagesResponse", () => {
  test("a Message with the relay's id, the upstream model, blocks, stop reason and usage", () => {
    expect(render({ usage: usage({ inputTokens: 10, outputTokens: 5, cacheCreationInputTokens: 2, cacheReadInputTokens: 300 }) })).toEqual({
      id: "msg_relay_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-5",
      content: [{ type: "text", text: "Hello.", citations: null }],
      stop_reason: "end_turn",
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 2,
        cache_read_input_tokens: 300,
        output_tokens: 5,
        output_tokens_details: null,
        server_tool_use: null,
        cache_creation: null,
        inference_geo: null,
        service_tier: null,
        speed: null,
      },
    });
  });

  test("thinking, redacted thinking, tool use and text blocks keep their order", () => {
    const rendered = render({
      content: [
        { type: "reasoning", text: "Hmm.", providerMetadata: { anthropic: { signature: "sig" } } },
        { type: "reasoning", text: "", providerMetadata: { anthropic: { redactedData: "ENC" } } },
        { type: "tool-call", id: "toolu_1", name: "get_weather", input: '{"city":"Oslo"}' },
        { type: "tool-call", id: "toolu_2", name: "noop", input: "" },
        { type: "text", text: "Done." },
      ],
      finishReason: { unified: "tool-calls", raw: "tool_use" },
    });
    expect(rendered.content).toEqual([
      { type: "thinking", thinking: "Hmm.", signature: "sig" },
      { type: "redacted_thinking", data: "ENC" },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" }, caller: { type: "direct" } },
      { type: "tool_use", id: "toolu_2", name: "noop", input: {}, caller: { type: "direct" } },
      { type: "text", text: "Done.", citations: null },
    ]);
    expect(rendered.stop_reason).toBe("tool_use");
  });

  test("stop_sequence carries the matched sequence", () => {
    expect(render({ finishReason: { unified: "stop-sequence", raw: "stop_sequence", stopSequence: "END" } })).toMatchObject({
      stop_reason: "stop_sequence",
      stop_sequence: "END",
    });
  });

  test("max_tokens and model_context_window_exceeded are kept apart", () => {
    expect(render({ finishReason: { unified: "length", raw: "max_tokens" } }).stop_reason).toBe("max_tokens");
    expect(render({ finishReason: { unified: "length", raw: "model_context_window_exceeded" } }).stop_reason).toBe("model_context_window_exceeded");
  });
});

describe("renderAnthropicUsage", () => {
  test("maps every field one to one", () => {
    expect(renderAnthropicUsage(usage({ inputTokens: 1, outputTokens: 2, cacheCreationInputTokens: 3, cacheReadInputTokens: 4 }))).toEqual({
      input_tokens: 1,
      output_tokens: 2,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 4,
      output_tokens_details: null,
      server_tool_use: null,
      cache_creation: null,
      inference_geo: null,
      service_tier: null,
      speed: null,
    });
  });
});
