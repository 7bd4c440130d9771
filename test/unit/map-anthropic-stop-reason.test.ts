import { describe, expect, test } from "bun:test";
import { mapAnthropicStopReason } from "../../src/backends/anthropic-wire/map-anthropic-stop-reason.ts";
import type { RelayFinishReason } from "../../src/core/relay-event.ts";
import { mapAnthropicStopReasonOut } from "../../src/protocols/anthropic-messages/map-stop-reason.ts";

describe("mapAnthropicStopReason (wire value -> neutral)", () => {
  const cases: Array<[string | null | undefined, RelayFinishReason]> = [
    ["end_turn", { unified: "stop", raw: "end_turn" }],
    ["stop_sequence", { unified: "stop-sequence", raw: "stop_sequence", stopSequence: null }],
    ["max_tokens", { unified: "length", raw: "max_tokens" }],
    ["tool_use", { unified: "tool-calls", raw: "tool_use" }],
    ["refusal", { unified: "content-filter", raw: "refusal" }],
    ["pause_turn", { unified: "pause", raw: "pause_turn" }],
    ["model_context_window_exceeded", { unified: "length", raw: "model_context_window_exceeded" }],
    [null, { unified: "other", raw: null }],
    [undefined, { unified: "other", raw: null }],
    ["tool_deferred", { unified: "other", raw: "tool_deferred" }],
    ["some_future_reason", { unified: "other", raw: "some_future_reason" }],
  ];
  for (const [raw, expected] of cases) {
    test(String(raw), () => {
      expect(mapAnthropicStopReason(raw)).toEqual(expected);
    });
  }

  test("stop_sequence keeps the matched sequence", () => {
    expect(mapAnthropicStopReason("stop_sequence", "\n\nHuman:")).toEqual({ unified: "stop-sequence", raw: "stop_sequence", stopSequence: "\n\nHuman:" });
  });
});

const reason = (unified: RelayFinishReason["unified"], raw: string | null = null): RelayFinishReason => ({ unified, raw });

describe("mapAnthropicStopReasonOut (neutral -> Anthropic stop_reason)", () => {
  const cases: Array<[RelayFinishReason, string]> = [
    [reason("stop", "end_turn"), "end_turn"],
    [reason("stop-sequence", "stop_sequence"), "stop_sequence"],
    [reason("length", "max_tokens"), "max_tokens"],
    [reason("length", "model_context_window_exceeded"), "model_context_window_exceeded"],
    [reason("tool-calls", "tool_use"), "tool_use"],
    [reason("content-filter", "refusal"), "refusal"],
    [reason("pause", "pause_turn"), "pause_turn"],
    [reason("error"), "end_turn"],
    [reason("other", "some_future_reason"), "end_turn"],
  ];
  for (const [input, expected] of cases) {
    test(`${input.unified} (${input.raw}) -> ${expected}`, () => {
      expect(mapAnthropicStopReasonOut(input) as string).toBe(expected);
    });
  }

  test("every Anthropic wire value survives the round trip through the neutral reason", () => {
    for (const wire of ["end_turn", "stop_sequence", "max_tokens", "tool_use", "refusal", "pause_turn", "model_context_window_exceeded"]) {
      expect(mapAnthropicStopReasonOut(mapAnthropicStopReason(wire)) as string).toBe(wire);
    }
  });
});
