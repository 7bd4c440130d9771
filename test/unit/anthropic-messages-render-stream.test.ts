import { describe, expect, test } from "bun:test";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";
import { renderAnthropicMessagesStream } from "../../src/protocols/anthropic-messages/render-stream.ts";
import type { SseFrame } from "../../src/server/sse.ts";
import { collectFrames, eventSource, finish, streamStart, textBlock, usage } from "./relay-events.ts";

const options = { id: "msg_relay_1", model: "sonnet" };

async function render(events: RelayEvent[], error?: unknown) {
  return collectFrames(renderAnthropicMessagesStream(eventSource(events, error), options));
}

type NamedFrame = { event: string; data: any };
const named = (frames: SseFrame[]) => frames as NamedFrame[];
/** "event" or "event:index" for each frame, to compare orders at a glance. */
const outline = (frames: SseFrame[]) => named(frames).map((frame) => (typeof frame.data.index === "number" ? `${frame.event}:${frame.data.index}` : frame.event));

describe("renderAnthropicMessagesStream", () => {
  test("exact event order for thinking then text, with increasing indexes", async () => {
    const frames = await render([
      streamStart({ model: "claude-sonnet-5", usage: usage({ inputTokens: 12, outputTokens: 1, cacheCreationInputTokens: 3, cacheReadInputTokens: 40 }) }),
      { type: "reasoning-start", id: "1:0" },
      { type: "reasoning-delta", id: "1:0", delta: "Let me think." },
      { type: "reasoning-delta", id: "1:0", delta: "", providerMetadata: { anthropic: { signature: "sig_abc" } } },
      { type: "reasoning-end", id: "1:0" },
      ...textBlock("1:1", "Hello", " there."),
      finish({ finishReason: { unified: "stop", raw: "end_turn" }, usage: usage({ inputTokens: 12, outputTokens: 9, cacheCreationInputTokens: 3, cacheReadInputTokens: 40 }) }),
    ]);
    expect(outline(frames)).toEqual([
      "message_start",
      "ping",
      "content_block_start:0",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_stop:0",
      "content_block_start:1",
      "content_block_delta:1",
      "content_block_delta:1",
      "content_block_stop:1",
      "message_delta",
      "message_stop",
    ]);
    const data = named(frames).map((frame) => frame.data);
    // Each frame's event name is its data type, as the API sends them.
    for (const frame of named(frames)) expect(frame.data.type).toBe(frame.event);
    expect(data[0].message).toEqual({
      id: "msg_relay_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: {
        input_tokens: 12,
        cache_creation_input_tokens: 3,
        cache_read_input_tokens: 40,
        output_tokens: 1,
        output_tokens_details: null,
        server_tool_use: null,
        cache_creation: null,
        inference_geo: null,
        service_tier: null,
        speed: null,
      },
    });
    expect(data[2].content_block).toEqual({ type: "thinking", thinking: "", signature: "" });
    expect(data[3].delta).toEqual({ type: "thinking_delta", thinking: "Let me think." });
    expect(data[4].delta).toEqual({ type: "signature_delta", signature: "sig_abc" });
    expect(data[6].content_block).toEqual({ type: "text", text: "" });
    expect(data.slice(7, 9).map((frame) => frame.delta)).toEqual([
      { type: "text_delta", text: "Hello" },
      { type: "text_delta", text: " there." },
    ]);
    expect(data[10]).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null, stop_details: null, container: null },
      usage: { input_tokens: 12, cache_creation_input_tokens: 3, cache_read_input_tokens: 40, output_tokens: 9, output_tokens_details: null, server_tool_use: null },
    });
    expect(data[11]).toEqual({ type: "message_stop" });
  });

  test("message_start output_tokens is at least 1, as the API reports it", async () => {
    const frames = named(await render([streamStart({ usage: usage({ inputTokens: 5, outputTokens: 0 }) }), ...textBlock("1:0", "a"), finish()]));
    expect(frames[0].data.message.usage.output_tokens).toBe(1);
  });

  test("stop_sequence and max_tokens reach message_delta", async () => {
    const stopped = named(await render([streamStart(), ...textBlock("1:0", "1 2 3"), finish({ finishReason: { unified: "stop-sequence", raw: "stop_sequence", stopSequence: "4" } })]));
    expect(stopped.at(-2)!.data.delta).toEqual({ stop_reason: "stop_sequence", stop_sequence: "4", stop_details: null, container: null });
    const truncated = named(await render([streamStart(), ...textBlock("1:0", "a"), finish({ finishReason: { unified: "length", raw: "max_tokens" } })]));
    expect(truncated.at(-2)!.data.delta).toEqual({ stop_reason: "max_tokens", stop_sequence: null, stop_details: null, container: null });
  });

  test("a redacted thinking block starts with its data", async () => {
    const frames = named(await render([streamStart(), { type: "reasoning-start", id: "1:0", providerMetadata: { anthropic: { redactedData: "ENC" } } }, { type: "reasoning-end", id: "1:0" }, finish()]));
    expect(frames[2].data.content_block).toEqual({ type: "redacted_thinking", data: "ENC" });
  });

  test("blocks still open at finish are closed before message_delta", async () => {
    const frames = await render([streamStart(), { type: "text-start", id: "1:0" }, { type: "text-delta", id: "1:0", delta: "cut" }, finish({ finishReason: { unified: "length", raw: "max_tokens" } })]);
    expect(outline(frames)).toEqual(["message_start", "ping", "content_block_start:0", "content_block_delta:0", "content_block_stop:0", "message_delta", "message_stop"]);
  });

  test("without stream-start, message_start names the requested model and comes before the first block", async () => {
    const frames = named(await render([...textBlock("1:0", "a"), finish({ model: "" })]));
    expect(outline(frames).slice(0, 3)).toEqual(["message_start", "ping", "content_block_start:0"]);
    expect(frames[0].data.message.model).toBe("sonnet");
  });

  test("an error after output becomes an `event: error` frame and there is no message_stop", async () => {
    const error = new RelayError("overloaded", "The upstream is overloaded.");
    const frames = named(await render([streamStart(), { type: "text-start", id: "1:0" }, { type: "text-delta", id: "1:0", delta: "Hel" }], error));
    expect(frames.at(-1)).toEqual({ event: "error", data: { type: "error", error: { type: "overloaded_error", message: "The upstream is overloaded." } } });
    expect(outline(frames)).not.toContain("message_stop");
    expect(outline(frames)).not.toContain("message_delta");
  });

  test("a backend login failure mid-stream is an api_error, not authentication_error (the client's key is fine)", async () => {
    const frames = named(await render([streamStart(), ...textBlock("1:0", "a")], new RelayError("backend_authentication", "Log in to Claude Code")));
    expect(frames.at(-1)!.data.error.type).toBe("api_error");
  });

  test("an event stream that ends without finish becomes an error event", async () => {
    const frames = named(await render([streamStart(), ...textBlock("1:0", "Hel")]));
    expect(frames.at(-1)!.event).toBe("error");
  });
});
