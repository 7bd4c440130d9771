import { describe, expect, test } from "bun:test";
import type { RelayResponse } from "../../src/core/relay-event.ts";
import { renderOpenAIChatResponse } from "../../src/protocols/openai-chat/render-response.ts";
import { renderOpenAIUsage } from "../../src/protocols/openai-chat/render-usage.ts";
import { usage } from "./relay-events.ts";

const response = (fields: Partial<RelayResponse> = {}): RelayResponse => ({
  id: "msg_1",
  model: "claude-sonnet-5",
  content: [{ type: "text", text: "Hello." }],
  finishReason: { unified: "stop", raw: "end_turn" },
  usage: usage({ inputTokens: 10, outputTokens: 5 }),
  ...fields,
});

const render = (fields: Partial<RelayResponse> = {}) => renderOpenAIChatResponse(response(fields), { id: "chatcmpl-1", created: 1_700_000_000 });

describe("renderOpenAIChatResponse", () => {
  test("a chat.completion with one assistant choice", () => {
    expect(render()).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "claude-sonnet-5",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello.", refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
      usage: renderOpenAIUsage(usage({ inputTokens: 10, outputTokens: 5 })),
    });
  });

  test("text parts are concatenated; reasoning goes to reasoning_content", () => {
    const rendered = render({
      content: [
        { type: "reasoning", text: "Let me think.", providerMetadata: { anthropic: { signature: "sig" } } },
        { type: "text", text: "Part one. " },
        { type: "text", text: "Part two." },
      ],
    });
    expect(rendered.choices[0].message.content).toBe("Part one. Part two.");
    expect(rendered.choices[0].message).toMatchObject({ reasoning_content: "Let me think." });
  });

  test("no reasoning_content key when there was no reasoning", () => {
    expect("reasoning_content" in render().choices[0].message).toBe(false);
  });

  const finishCases: Array<[RelayResponse["finishReason"], string]> = [
    [{ unified: "length", raw: "max_tokens" }, "length"],
    [{ unified: "stop-sequence", raw: "stop_sequence", stopSequence: "END" }, "stop"],
    [{ unified: "content-filter", raw: "refusal" }, "content_filter"],
  ];
  for (const [finishReason, expected] of finishCases) {
    test(`finish_reason for ${finishReason.raw} is ${expected}`, () => {
      expect(render({ finishReason }).choices[0].finish_reason).toBe(expected as never);
    });
  }
});

describe("renderOpenAIUsage", () => {
  test("prompt_tokens counts uncached, cache-written and cache-read input; cached_tokens is the cache read", () => {
    expect(renderOpenAIUsage(usage({ inputTokens: 30, outputTokens: 11, cacheCreationInputTokens: 7, cacheReadInputTokens: 200 }))).toMatchObject({
      prompt_tokens: 237,
      completion_tokens: 11,
      total_tokens: 248,
      prompt_tokens_details: { cached_tokens: 200, cache_write_tokens: 7 },
    });
  });

  test("zero usage is all zeros, not missing", () => {
    expect(renderOpenAIUsage(usage())).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } });
  });
});

describe("reasoning tokens in usage", () => {
  test("a backend that counts reasoning separately reports it in completion_tokens_details; one that does not, 0", () => {
    expect(renderOpenAIUsage(usage({ inputTokens: 10, outputTokens: 50, reasoningTokens: 30 })).completion_tokens_details.reasoning_tokens).toBe(30);
    expect(renderOpenAIUsage(usage({ inputTokens: 10, outputTokens: 50 })).completion_tokens_details.reasoning_tokens).toBe(0);
  });
});
