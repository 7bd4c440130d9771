/**
 * The relay routed to OpenAI-compatible providers (the project's fake upstream), with the official SDKs as
 * callers on all three protocols, and the fallback chain between two providers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from "../support/fake-openai-upstream.ts";
import { startOpenAIProviderRelay, type OpenAIProviderRelay } from "../support/openai-provider-relay.ts";

let primary: FakeOpenAIUpstream;
let secondary: FakeOpenAIUpstream;
let relay: OpenAIProviderRelay;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  primary = startFakeOpenAIUpstream();
  secondary = startFakeOpenAIUpstream();
  relay = await startOpenAIProviderRelay({
    config: () => `
providers:
  primary:
    type: openai
    base_url: ${primary.url}
    api_key: sk-primary
  secondary:
    type: openai
    base_url: ${secondary.url}
    api_key: sk-secondary
  offline:
    type: openai
    base_url: http://127.0.0.1:9/v1
models:
  chain: [primary/gpt-test, secondary/gpt-test-mini]
  "claude-*": primary/gpt-test
default: primary
`,
  });
  openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-key", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: relay.url, apiKey: "client-key", maxRetries: 0 });
});
afterAll(async () => {
  await relay.close();
  await primary.stop();
  await secondary.stop();
});
beforeEach(() => {
  primary.reset();
  secondary.reset();
});

describe("OpenAI SDK, Chat Completions", () => {
  test("a streamed answer with usage, routed to the provider, says where it went", async () => {
    primary.enqueue({ kind: "text", chunks: ["Hello", " there"], usage: { prompt_tokens: 50, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 30 } } });
    const { data: stream, response } = await openai.chat.completions.create({ model: "gpt-test", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] }).withResponse();
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello there");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 30 } });
    expect(response.headers.get("x-agent-relay-provider")).toBe("primary");
    expect(response.headers.get("x-agent-relay-model")).toBe("gpt-test");
    // The client's key stays with the relay; the provider gets its own.
    expect(primary.completionRequests()[0]!.headers.authorization).toBe("Bearer sk-primary");
  });

  test("tool calls round-trip with their ids", async () => {
    primary.enqueue({ kind: "tool-calls", calls: [{ id: "call_w", name: "weather", arguments: '{"city":"Oslo"}' }] }, { kind: "text", chunks: ["It is cold."] });
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const first = await openai.chat.completions.create({ model: "gpt-test", tools, messages: [{ role: "user", content: "weather in Oslo?" }] });
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call).toMatchObject({ id: "call_w", function: { name: "weather", arguments: '{"city":"Oslo"}' } });
    const second = await openai.chat.completions.create({
      model: "gpt-test",
      tools,
      messages: [{ role: "user", content: "weather in Oslo?" }, first.choices[0]!.message, { role: "tool", tool_call_id: "call_w", content: "-5 C" }],
    });
    expect(second.choices[0]!.message.content).toBe("It is cold.");
    const sent = primary.completionRequests()[1]!.body;
    expect(sent.messages.at(-2)).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_w", function: { name: "weather" } }] });
    expect(sent.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_w", content: "-5 C" });
  });

  test("a rejected provider key reaches the client as a 502 naming the provider", async () => {
    primary.enqueue({ kind: "error", status: 401, message: "Invalid API key", code: "invalid_api_key" });
    const error = await openai.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(502);
    expect(error.message).toContain('Provider "primary" rejected the relay\'s API key');
  });
});

describe("providers in /v1/models and /health", () => {
  test("each provider's models are listed from its /models; one that cannot be reached is unavailable, not fatal", async () => {
    const models = await openai.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(["chain", "gpt-test", "gpt-test-mini", "secondary/gpt-test"]));
    const health = (await (await fetch(`${relay.url}/health`)).json()) as { providers: Record<string, { ok: boolean; reason?: string }> };
    expect(health.providers.primary).toMatchObject({ ok: true });
    expect(health.providers.offline).toMatchObject({ ok: false });
    expect(health.providers.offline!.reason).toContain('Provider "offline" cannot be reached at http://127.0.0.1:9/v1/models');
  });

  test("a client that hangs up closes the upstream request at once", async () => {
    primary.enqueue({ kind: "stall", chunks: ["thinking about it"] });
    const client = new AbortController();
    const response = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer client-key" },
      body: JSON.stringify({ model: "gpt-test", stream: true, messages: [{ role: "user", content: "hi" }] }),
      signal: client.signal,
    });
    const reader = response.body!.getReader();
    let seen = "";
    while (!seen.includes("thinking about it")) seen += new TextDecoder().decode((await reader.read()).value);
    client.abort();
    await primary.completionRequests()[0]!.aborted;
    expect(primary.completionRequests()[0]!.wasAborted).toBe(true);
  });
});

describe("OpenAI SDK, Responses", () => {
  test("a response with reasoning from the provider", async () => {
    primary.enqueue({ kind: "text", reasoning: ["Thinking it through."], chunks: ["Forty-two."], usage: { prompt_tokens: 10, completion_tokens: 8, completion_tokens_details: { reasoning_tokens: 4 } } });
    const response = await openai.responses.create({ model: "gpt-test", input: "meaning of life?", store: false });
    expect(response.output_text).toBe("Forty-two.");
    expect(response.usage).toMatchObject({ input_tokens: 10, output_tokens: 8, output_tokens_details: { reasoning_tokens: 4 } });
    expect(response.output.some((item) => item.type === "reasoning")).toBe(true);
  });
});

describe("Anthropic SDK, Messages", () => {
  test("streamed text with cache reads mapped the Anthropic way", async () => {
    primary.enqueue({ kind: "text", chunks: ["Bonjour"], usage: { prompt_tokens: 1000, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 900 } } });
    const stream = anthropic.messages.stream({ model: "claude-sonnet-5", max_tokens: 100, messages: [{ role: "user", content: "salut" }] });
    const message = await stream.finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "Bonjour" })]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 900, output_tokens: 3 });
    expect(primary.completionRequests()[0]!.body).toMatchObject({ model: "gpt-test", max_tokens: 100 });
  });

  test("thinking maps to reasoning_effort and parallel tool calls come back as tool_use blocks", async () => {
    primary.enqueue({ kind: "tool-calls", calls: [{ id: "call_1", name: "a", arguments: '{"n":1}' }, { id: "call_2", name: "b", arguments: '{"n":2}' }] });
    const message = await anthropic.messages.create({
      model: "claude-opus-4-7",
      max_tokens: 20_000,
      thinking: { type: "enabled", budget_tokens: 18_000 },
      tools: [
        { name: "a", input_schema: { type: "object" } },
        { name: "b", input_schema: { type: "object" } },
      ],
      messages: [{ role: "user", content: "call both" }],
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content.filter((block) => block.type === "tool_use")).toEqual([
      expect.objectContaining({ id: "call_1", name: "a", input: { n: 1 } }),
      expect.objectContaining({ id: "call_2", name: "b", input: { n: 2 } }),
    ]);
    expect(primary.completionRequests()[0]!.body).toMatchObject({ reasoning_effort: "high", tools: [{ type: "function", function: { name: "a" } }, { type: "function", function: { name: "b" } }] });
  });

  test("an upstream 400 keeps its status and message", async () => {
    primary.enqueue({ kind: "error", status: 400, message: "context too long", param: "messages" });
    const error = await anthropic.messages.create({ model: "claude-sonnet-5", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("context too long");
  });
});

describe("fallback chains", () => {
  test("a 429 with retry-after moves to the next target, and the first is skipped until its cooldown ends", async () => {
    primary.enqueue({ kind: "error", status: 429, message: "slow down", type: "rate_limit_error", retryAfterSeconds: 2 });
    secondary.setDefault({ kind: "text", chunks: ["from the second"] });
    primary.setDefault({ kind: "text", chunks: ["from the first"] });
    const { data, response } = await openai.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe("from the second");
    expect(response.headers.get("x-agent-relay-provider")).toBe("secondary");
    expect(response.headers.get("x-agent-relay-model")).toBe("gpt-test-mini");
    expect(response.headers.get("x-agent-relay-fallbacks")).toContain("primary/gpt-test: 429");

    // Cooling down: the next request does not even try the first target.
    const again = await openai.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] });
    expect(again.choices[0]!.message.content).toBe("from the second");
    expect(primary.completionRequests()).toHaveLength(1);

    // After the retry-after, the first target is tried again.
    const deadline = Date.now() + 10_000;
    let answer = "";
    while (Date.now() < deadline && answer !== "from the first") {
      await Bun.sleep(250);
      answer = (await openai.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] })).choices[0]!.message.content ?? "";
    }
    expect(answer).toBe("from the first");
    primary.setDefault({ kind: "text", chunks: ["Hello from ", "the fake OpenAI upstream!"] });
    secondary.setDefault({ kind: "text", chunks: ["Hello from ", "the fake OpenAI upstream!"] });
  });

  test("a target that fails after output started does not fall through: the client gets an in-band error", async () => {
    primary.enqueue({ kind: "stream-error", chunks: ["partial "], message: "model crashed", code: 500 });
    const stream = await openai.chat.completions.create({ model: "chain", stream: true, messages: [{ role: "user", content: "hi" }] });
    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((caught) => caught);
    expect(text).toBe("partial ");
    expect(String(error?.message)).toContain("model crashed");
    expect(secondary.completionRequests()).toHaveLength(0);
  });

  test("a 400 does not fall through", async () => {
    primary.enqueue({ kind: "error", status: 400, message: "bad request body" });
    const error = await openai.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] }).catch((caught) => caught);
    expect(error.status).toBe(400);
    expect(secondary.completionRequests()).toHaveLength(0);
  });
});
