import { describe, expect, test } from "bun:test";
import { foldRelayEvents } from "../../src/core/fold-relay-events.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import { eventSource, finish, streamStart, textBlock, usage } from "./relay-events.ts";

describe("foldRelayEvents", () => {
  test("text deltas are joined per block; id, model, finish reason and usage come through", async () => {
    const response = await foldRelayEvents(
      eventSource([
        streamStart({ id: "msg_abc", model: "claude-sonnet-5" }),
        ...textBlock("1:0", "Hello", ", ", "world."),
        ...textBlock("2:0", "Second block."),
        finish({ finishReason: { unified: "length", raw: "max_tokens" }, usage: usage({ inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 5 }) }),
      ]),
    );
    expect(response).toEqual({
      id: "msg_abc",
      model: "claude-sonnet-5",
      content: [
        { type: "text", text: "Hello, world." },
        { type: "text", text: "Second block." },
      ],
      finishReason: { unified: "length", raw: "max_tokens" },
      usage: usage({ inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 5 }),
    });
  });

  test("reasoning keeps its text and its signature (joined across signature deltas)", async () => {
    const response = await foldRelayEvents(
      eventSource([
        streamStart(),
        { type: "reasoning-start", id: "1:0" },
        { type: "reasoning-delta", id: "1:0", delta: "Let me " },
        { type: "reasoning-delta", id: "1:0", delta: "think." },
        { type: "reasoning-delta", id: "1:0", delta: "", providerMetadata: { anthropic: { signature: "sig_" } } },
        { type: "reasoning-delta", id: "1:0", delta: "", providerMetadata: { anthropic: { signature: "abc" } } },
        { type: "reasoning-end", id: "1:0" },
        { type: "reasoning-start", id: "1:1", providerMetadata: { anthropic: { redactedData: "ENC" } } },
        { type: "reasoning-end", id: "1:1" },
        ...textBlock("1:2", "Answer."),
        finish(),
      ]),
    );
    expect(response.content).toEqual([
      { type: "reasoning", text: "Let me think.", providerMetadata: { anthropic: { signature: "sig_abc" } } },
      { type: "reasoning", text: "", providerMetadata: { anthropic: { redactedData: "ENC" } } },
      { type: "text", text: "Answer." },
    ]);
  });

  test("interleaved blocks go to the right part by id", async () => {
    const response = await foldRelayEvents(
      eventSource([
        { type: "text-start", id: "a" },
        { type: "tool-input-start", id: "toolu_1", toolName: "get_weather" },
        { type: "text-delta", id: "a", delta: "x" },
        { type: "tool-input-delta", id: "toolu_1", delta: '{"city":' },
        { type: "tool-input-delta", id: "toolu_1", delta: '"Oslo"}' },
        { type: "text-delta", id: "a", delta: "y" },
        { type: "tool-input-end", id: "toolu_1" },
        { type: "text-end", id: "a" },
        finish({ finishReason: { unified: "tool-calls", raw: "tool_use" } }),
      ]),
    );
    expect(response.content).toEqual([
      { type: "text", text: "xy" },
      { type: "tool-call", id: "toolu_1", name: "get_weather", input: '{"city":"Oslo"}' },
    ]);
  });

  test("the finish model wins over the stream-start model; an empty one falls back to it", async () => {
    expect((await foldRelayEvents(eventSource([streamStart({ model: "claude-opus-4-8" }), finish({ model: "claude-opus-4-8-20261101" })]))).model).toBe("claude-opus-4-8-20261101");
    expect((await foldRelayEvents(eventSource([streamStart({ model: "claude-opus-4-8" }), finish({ model: "" })]))).model).toBe("claude-opus-4-8");
  });

  test("a stream without finish is a RelayError, not an empty answer", async () => {
    const error = await foldRelayEvents(eventSource([streamStart(), ...textBlock("1:0", "partial")])).catch((caught) => caught);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ kind: "api_error", status: 502 });
  });

  test("an empty stream is a RelayError", async () => {
    await expect(foldRelayEvents(eventSource([]))).rejects.toBeInstanceOf(RelayError);
  });

  test("an error from the source propagates unchanged", async () => {
    const failure = new RelayError("rate_limit", "slow down");
    await expect(foldRelayEvents(eventSource([streamStart()], failure))).rejects.toBe(failure);
  });
});
