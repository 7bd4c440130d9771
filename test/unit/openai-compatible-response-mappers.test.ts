import { describe, expect, test } from "bun:test";
import { mapOpenAIChatCompletion } from "../../src/backends/openai-compatible/map-openai-chat-completion.ts";
import { mapOpenAIChatStream } from "../../src/backends/openai-compatible/map-openai-chat-stream.ts";
import { mapOpenAIFinishReason } from "../../src/backends/openai-compatible/map-openai-finish-reason.ts";
import { mapOpenAIUpstreamError, parseRetryAfter } from "../../src/backends/openai-compatible/map-openai-upstream-error.ts";
import { mapOpenAIUsage } from "../../src/backends/openai-compatible/map-openai-usage.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";

const context = { providerName: "p", model: "m", responseId: "r1" };

/** Each chunk as its own SSE event and network read. */
async function events(chunks: unknown[]): Promise<RelayEvent[]> {
  async function* payloads() {
    for (const chunk of chunks) yield `data: ${typeof chunk === "string" ? chunk : JSON.stringify(chunk)}\n\n`;
  }
  const collected: RelayEvent[] = [];
  for await (const event of mapOpenAIChatStream(payloads(), context)) collected.push(event);
  return collected;
}

const delta = (value: Record<string, unknown>, finish: string | null = null) => ({ id: "c1", model: "served-model", choices: [{ index: 0, delta: value, finish_reason: finish }] });

describe("mapOpenAIFinishReason", () => {
  test.each([
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool-calls"],
    ["function_call", "tool-calls"],
    ["content_filter", "content-filter"],
    ["eos", "other"],
    ["error", "other"],
  ])("%s -> %s with the raw value kept", (raw, unified) => {
    expect(mapOpenAIFinishReason(raw)).toEqual({ unified: unified as never, raw });
  });
  test("a missing value is other, never stop", () => {
    expect(mapOpenAIFinishReason(null)).toEqual({ unified: "other", raw: null });
  });
});

describe("mapOpenAIUsage", () => {
  test("OpenAI: cached tokens are taken out of prompt_tokens", () => {
    expect(mapOpenAIUsage({ prompt_tokens: 1000, completion_tokens: 50, prompt_tokens_details: { cached_tokens: 800 } })).toEqual({ inputTokens: 200, outputTokens: 50, cacheCreationInputTokens: 0, cacheReadInputTokens: 800 });
  });
  test("reasoning tokens from completion_tokens_details, included in the output tokens", () => {
    expect(mapOpenAIUsage({ prompt_tokens: 10, completion_tokens: 50, completion_tokens_details: { reasoning_tokens: 40 } })).toEqual({ inputTokens: 10, outputTokens: 50, reasoningTokens: 40, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
  });
  test("DeepSeek: prompt_cache_hit_tokens are cache reads", () => {
    expect(mapOpenAIUsage({ prompt_tokens: 300, completion_tokens: 5, prompt_cache_hit_tokens: 256, prompt_cache_miss_tokens: 44 })).toEqual({ inputTokens: 44, outputTokens: 5, cacheCreationInputTokens: 0, cacheReadInputTokens: 256 });
  });
  test("OpenRouter: cache writes are cache creation", () => {
    expect(mapOpenAIUsage({ prompt_tokens: 500, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 400 } })).toEqual({ inputTokens: 100, outputTokens: 1, cacheCreationInputTokens: 400, cacheReadInputTokens: 0 });
  });
  test("no usage is zero usage", () => {
    expect(mapOpenAIUsage(undefined)).toEqual({ inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
  });
});

describe("mapOpenAIChatStream", () => {
  test("usage arriving after the finish chunk is on the finish event, with the upstream's model", async () => {
    const result = await events([delta({ role: "assistant", content: "" }), delta({ content: "Hi" }), delta({}, "stop"), { id: "c1", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } }, "[DONE]"]);
    expect(result).toEqual([
      { type: "stream-start", id: "c1", model: "served-model", usage: { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 } },
      { type: "text-start", id: "text-0" },
      { type: "text-delta", id: "text-0", delta: "Hi" },
      { type: "text-end", id: "text-0" },
      { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: { inputTokens: 3, outputTokens: 1, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }, model: "served-model" },
    ]);
  });

  test("reasoning then text are two blocks", async () => {
    const result = await events([delta({ reasoning_content: "hmm" }), delta({ reasoning_content: "" }), delta({ content: "ok" }), delta({}, "stop")]);
    expect(result.map((event) => event.type)).toEqual(["stream-start", "reasoning-start", "reasoning-delta", "reasoning-end", "text-start", "text-delta", "text-end", "finish"]);
  });

  test("a tool call's name may arrive before its arguments; arguments before the name are held", async () => {
    const result = await events([delta({ tool_calls: [{ index: 0, id: "call_1", function: { arguments: '{"a"' } }] }), delta({ tool_calls: [{ index: 0, function: { name: "lookup", arguments: ":1}" } }] }), delta({}, "tool_calls")]);
    expect(result.slice(1, -1)).toEqual([
      { type: "tool-input-start", id: "call_1", toolName: "lookup" },
      // The held fragment and the one that came with the name, as one delta.
      { type: "tool-input-delta", id: "call_1", delta: '{"a":1}' },
      { type: "tool-input-end", id: "call_1" },
    ]);
  });

  test("a fragment without index or id belongs to the only call there is", async () => {
    const result = await events([delta({ tool_calls: [{ id: "call_1", function: { name: "f", arguments: '{"q":' } }] }), delta({ tool_calls: [{ function: { arguments: '"x"}' } }] }), delta({}, "tool_calls")]);
    expect(result.filter((event) => event.type === "tool-input-delta").map((event) => (event as { delta: string }).delta)).toEqual(['{"q":', '"x"}']);
  });

  test("a fragment without index or id while two calls are open is refused, not guessed", async () => {
    const chunks = [delta({ tool_calls: [{ id: "a", function: { name: "f", arguments: "{" } }] }), delta({ tool_calls: [{ id: "b", function: { name: "g", arguments: "{" } }] }), delta({ tool_calls: [{ function: { arguments: "}" } }] })];
    await expect(events(chunks)).rejects.toThrow("cannot tell which call");
  });

  test("deltas that arrive in one read are merged per block; separate reads stay separate", async () => {
    const read = [delta({ content: "a" }), delta({ content: "b" }), delta({ tool_calls: [{ index: 0, id: "t", function: { name: "f", arguments: '{"x":' } }] }), delta({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }), delta({}, "tool_calls")]
      .map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`)
      .join("");
    const collected: RelayEvent[] = [];
    for await (const event of mapOpenAIChatStream((async function* () { yield read; yield "data: [DONE]\n\n"; })(), context)) collected.push(event);
    expect(collected.filter((event) => event.type === "text-delta")).toEqual([{ type: "text-delta", id: "text-0", delta: "ab" }]);
    expect(collected.filter((event) => event.type === "tool-input-delta")).toEqual([{ type: "tool-input-delta", id: "t", delta: '{"x":1}' }]);
    const separate = await events([delta({ content: "a" }), delta({ content: "b" }), delta({}, "stop")]);
    expect(separate.filter((event) => event.type === "text-delta")).toHaveLength(2);
  });

  test("text before an in-stream error in the same read reaches the client before the error", async () => {
    const read = `data: ${JSON.stringify(delta({ content: "partial" }))}\n\ndata: ${JSON.stringify({ error: { message: "boom", code: 502 } })}\n\n`;
    const collected: RelayEvent[] = [];
    const error = await (async () => {
      for await (const event of mapOpenAIChatStream((async function* () { yield read; })(), context)) collected.push(event);
    })().catch((caught) => caught);
    expect(collected.map((event) => event.type)).toEqual(["stream-start", "text-start", "text-delta"]);
    expect(error).toBeInstanceOf(RelayError);
    expect(error.message).toContain("boom");
  });

  test("a stream without a finish_reason is incomplete", async () => {
    await expect(events([delta({ content: "Hi" }), "[DONE]"])).rejects.toThrow(RelayError);
  });

  test("a chunk that is not JSON is a 502", async () => {
    const error = await events([delta({ content: "Hi" }), "{oops"]).catch((caught) => caught);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).status).toBe(502);
  });
});

describe("mapOpenAIChatCompletion", () => {
  test("a whole answer gives the same events as a stream", () => {
    const result = [...mapOpenAIChatCompletion({ id: "x", model: "m2", choices: [{ index: 0, message: { content: "Hi", reasoning_content: "think", tool_calls: [{ id: "t1", function: { name: "f", arguments: "{}" } }] }, finish_reason: "tool_calls" }], usage: { prompt_tokens: 2, completion_tokens: 3 } }, context)];
    expect(result.map((event) => event.type)).toEqual(["stream-start", "reasoning-start", "reasoning-delta", "reasoning-end", "text-start", "text-delta", "text-end", "tool-input-start", "tool-input-delta", "tool-input-end", "finish"]);
    expect(result.at(-1)).toMatchObject({ finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage: { inputTokens: 2, outputTokens: 3 }, model: "m2" });
  });
});

describe("mapOpenAIUpstreamError", () => {
  const map = (status: number, body: unknown, retryAfter: string | null = null) => mapOpenAIUpstreamError({ providerName: "acme", status, body: typeof body === "string" ? body : JSON.stringify(body), retryAfter });
  test.each([
    [400, "invalid_request", 400],
    [401, "backend_authentication", 502],
    [403, "backend_authentication", 502],
    [404, "not_found", 404],
    [408, "timeout", 408],
    [409, "api_error", 409],
    [413, "request_too_large", 413],
    [422, "invalid_request", 422],
    [429, "rate_limit", 429],
    [500, "api_error", 500],
    [503, "api_error", 503],
    [529, "overloaded", 529],
  ])("%i -> %s with status %i", (status, kind, relayStatus) => {
    const error = map(status, { error: { message: "what the upstream said" } });
    expect([error.kind, error.status]).toEqual([kind as never, relayStatus]);
    expect(error.message).toContain("what the upstream said");
    expect(error.message).toContain("acme");
  });
  test("Ollama's string errors and plain-text bodies keep their message; HTML does not leak", () => {
    expect(map(404, { error: "model 'qwen' not found" }).message).toContain("model 'qwen' not found");
    expect(map(502, "upstream connect error").message).toContain("upstream connect error");
    expect(map(502, "<html><body>Bad gateway</body></html>").message).toBe('Provider "acme" failed (502): HTTP 502');
  });
  test("retry-after in seconds or as a date", () => {
    expect(map(429, {}, "12").retryAfterSeconds).toBe(12);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
