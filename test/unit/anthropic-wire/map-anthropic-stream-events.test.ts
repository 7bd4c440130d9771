import { describe, expect, test } from "bun:test";
import { anthropicMessageAsStreamEvents, AnthropicStreamMapper } from "../../../src/backends/anthropic-wire/map-anthropic-stream-events.ts";
import { RelayError } from "../../../src/core/relay-error.ts";
import type { RelayEvent } from "../../../src/core/relay-event.ts";

function mapAll(events: Array<Record<string, any>>): RelayEvent[] {
  const mapper = new AnthropicStreamMapper({ provider: "anthropic", requestedModel: "claude-x" });
  return events.flatMap((event) => mapper.map(event as { type: string }));
}

const messageStart = {
  type: "message_start",
  message: { id: "msg_1", model: "claude-sonnet-4-5", usage: { input_tokens: 10, cache_creation_input_tokens: 3, cache_read_input_tokens: 200, output_tokens: 1 } },
};

describe("AnthropicStreamMapper", () => {
  test("text, thinking with its signature, a tool call, usage and the real stop reason", () => {
    const events = mapAll([
      messageStart,
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "EqQBCkYIAxgC" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_1", name: "Read", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"path":' } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '"a.txt"}' } },
      { type: "content_block_stop", index: 2 },
      { type: "ping" },
      { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 42, output_tokens_details: { thinking_tokens: 5 } } },
      { type: "message_stop" },
    ]);
    expect(events.map((event) => event.type)).toEqual([
      "stream-start",
      "reasoning-start",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-delta",
      "text-end",
      "tool-input-start",
      "tool-input-delta",
      "tool-input-delta",
      "tool-input-end",
      "finish",
    ]);
    expect(events[3]).toMatchObject({ type: "reasoning-delta", delta: "", providerMetadata: { anthropic: { signature: "EqQBCkYIAxgC" } } });
    expect(events[8]).toEqual({ type: "tool-input-start", id: "toolu_1", toolName: "Read" });
    expect(events.at(-1)).toEqual({
      type: "finish",
      finishReason: { unified: "tool-calls", raw: "tool_use" },
      usage: { inputTokens: 10, outputTokens: 42, cacheCreationInputTokens: 3, cacheReadInputTokens: 200, reasoningTokens: 5 },
      model: "claude-sonnet-4-5",
    });
  });

  test("server tool blocks and unknown event types are passed over, not rendered as text", () => {
    const events = mapAll([
      messageStart,
      { type: "content_block_start", index: 0, content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"q":"x"}' } },
      { type: "content_block_stop", index: 0 },
      { type: "some_future_event", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } },
      { type: "message_stop" },
    ]);
    expect(events.map((event) => event.type)).toEqual(["stream-start", "finish"]);
  });

  test("redacted thinking keeps its data as provider metadata", () => {
    const events = mapAll([messageStart, { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "ENCRYPTED" } }, { type: "content_block_stop", index: 0 }]);
    expect(events[1]).toMatchObject({ type: "reasoning-start", providerMetadata: { anthropic: { redactedData: "ENCRYPTED" } } });
  });

  test("an error event is thrown as the mapped RelayError", () => {
    const mapper = new AnthropicStreamMapper({ provider: "anthropic", requestedModel: "claude-x" });
    mapper.map(messageStart);
    let thrown: unknown;
    try {
      mapper.map({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RelayError);
    expect((thrown as RelayError).kind).toBe("overloaded");
    expect((thrown as RelayError).message).toBe("Overloaded");
  });

  test("a complete message maps like its stream", () => {
    const events = mapAll(
      anthropicMessageAsStreamEvents({
        id: "msg_2",
        model: "claude-haiku-4-5",
        content: [{ type: "text", text: "Done." }, { type: "tool_use", id: "toolu_9", name: "Bash", input: { command: "ls" } }],
        stop_reason: "max_tokens",
        usage: { input_tokens: 4, output_tokens: 2 },
      }),
    );
    expect(events).toContainEqual({ type: "text-delta", id: "msg_2:0", delta: "Done." });
    expect(events).toContainEqual({ type: "tool-input-delta", id: "toolu_9", delta: '{"command":"ls"}' });
    expect(events.at(-1)).toMatchObject({ finishReason: { unified: "length", raw: "max_tokens" }, usage: { inputTokens: 4, outputTokens: 2 } });
  });
});
