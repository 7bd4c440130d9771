import { describe, expect, test } from "bun:test";
import type { RelayFinishReason } from "../../src/core/relay-event.ts";
import { mapOpenAIFinishReason, type OpenAIFinishReason } from "../../src/protocols/openai-chat/map-finish-reason.ts";

const reason = (unified: RelayFinishReason["unified"], raw: string | null = null): RelayFinishReason => ({ unified, raw });

describe("mapOpenAIFinishReason (neutral -> OpenAI finish_reason)", () => {
  const cases: Array<[RelayFinishReason, OpenAIFinishReason]> = [
    [reason("stop", "end_turn"), "stop"],
    [reason("stop-sequence", "stop_sequence"), "stop"],
    [reason("length", "max_tokens"), "length"],
    [reason("length", "model_context_window_exceeded"), "length"],
    [reason("tool-calls", "tool_use"), "tool_calls"],
    [reason("content-filter", "refusal"), "content_filter"],
    [reason("pause", "pause_turn"), "stop"],
    [reason("error"), "stop"],
    [reason("other", "some_future_reason"), "stop"],
  ];
  for (const [input, expected] of cases) {
    test(`${input.unified} (${input.raw}) -> ${expected}`, () => {
      expect(mapOpenAIFinishReason(input)).toBe(expected);
    });
  }
});
