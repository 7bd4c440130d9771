/**
 * Anthropic Messages through the real claude CLI against the scripted fake upstream,
 * with the official `@anthropic-ai/sdk` package as the caller.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { decodeSseStream } from "../../src/wire/sse-decoder.ts";

let relay: TestRelay;
let client: Anthropic;

const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAwMDAAAAM/gH/R7t1ugAAAABJRU5ErkJggg==";
const pdfBase64 = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n").toString("base64");

beforeAll(async () => {
  relay = await startTestRelay();
  client = new Anthropic({ baseURL: relay.url, apiKey: "anything", maxRetries: 0 });
});
afterAll(() => relay.close());
beforeEach(async () => {
  await relay.settle();
  relay.upstream.reset();
});

function upstreamBody() {
  return relay.upstream.messageRequests()[0].body;
}

describe("Anthropic messages through the real claude CLI", () => {
  test("non-streaming answer has the upstream text, model, stop reason and all four usage numbers", async () => {
    relay.upstream.enqueue({
      kind: "text",
      chunks: ["Bonjour", " !"],
      model: "claude-haiku-4-5-20251001",
      usage: { input_tokens: 17, output_tokens: 4, cache_creation_input_tokens: 3, cache_read_input_tokens: 90 },
    });
    const message = await client.messages.create({
      model: "haiku",
      max_tokens: 256,
      system: "Answer in French.",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(message.type).toBe("message");
    expect(message.content).toEqual([{ type: "text", text: "Bonjour !", citations: null }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.model).toBe("claude-haiku-4-5-20251001");
    expect(message.usage).toMatchObject({ input_tokens: 17, output_tokens: 4, cache_creation_input_tokens: 3, cache_read_input_tokens: 90 });
    expect(message.id).toMatch(/^msg_/);
    const body = upstreamBody();
    expect(body.system.at(-1).text).toBe("Answer in French.");
    expect(body.max_tokens).toBe(256);
  });

  test("streaming emits the API's named events in order and the SDK assembles the final message", async () => {
    relay.upstream.enqueue({
      kind: "text",
      chunks: ["alpha ", "beta ", "gamma"],
      delayMs: 20,
      usage: { input_tokens: 50, output_tokens: 6, cache_creation_input_tokens: 0, cache_read_input_tokens: 8 },
    });
    const stream = client.messages.stream({ model: "sonnet", max_tokens: 100, messages: [{ role: "user", content: "list" }] });
    const types: string[] = [];
    const deltas: string[] = [];
    stream.on("streamEvent", (event) => {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") deltas.push(event.delta.text);
    });
    const final = await stream.finalMessage();
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(deltas).toEqual(["alpha ", "beta ", "gamma"]);
    expect(final.content).toMatchObject([{ type: "text", text: "alpha beta gamma" }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage).toMatchObject({ input_tokens: 50, output_tokens: 6, cache_read_input_tokens: 8, cache_creation_input_tokens: 0 });
  });

  test("the raw stream names every event and includes ping, as the API does", async () => {
    const response = await fetch(`${relay.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": "fine-grained-tool-streaming-2025-05-14" },
      body: JSON.stringify({ model: "sonnet", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const events: Array<{ event?: string; data: any }> = [];
    for await (const event of decodeSseStream(response.body!)) events.push({ event: event.event, data: JSON.parse(event.data) });
    expect(events.map((item) => item.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const { event, data } of events) expect(data.type).toBe(event);
  });

  test("the context-1m beta selects the CLI's 1M-token context window", async () => {
    await client.messages.create(
      { model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "hi" }] },
      { headers: { "anthropic-beta": "context-1m-2025-08-07" } },
    );
    const request = relay.upstream.messageRequests()[0];
    expect(request.body.model).toBe("claude-sonnet-5");
    expect(request.headers["anthropic-beta"]).toContain("context-1m");
  });

  test("system blocks and role:system entries inside messages become the system prompt", async () => {
    await client.messages.create({
      model: "sonnet",
      max_tokens: 50,
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=cli;" },
        { type: "text", text: "You are a pirate." },
        { type: "text", text: "Keep it short.", cache_control: { type: "ephemeral" } },
      ],
      messages: [
        { role: "user", content: "hello" },
        // Claude Code 2.1.x sends these; they are not in the SDK's types.
        { role: "system", content: "The user prefers metric units." } as unknown as Anthropic.MessageParam,
        { role: "user", content: "how tall is a mast?" },
      ],
    });
    const body = upstreamBody();
    expect(body.system.at(-1).text).toBe("You are a pirate.\n\nKeep it short.\n\nThe user prefers metric units.");
    const user = body.messages.at(-1);
    const userTexts = user.content.filter((block: { text?: string }) => !block.text?.startsWith("<system-reminder>")).map((block: { text: string }) => block.text);
    expect(userTexts).toEqual(["hello", "how tall is a mast?"]);
  });

  test("images and documents reach the model unchanged", async () => {
    await client.messages.create({
      model: "sonnet",
      max_tokens: 50,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe both." },
            { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdfBase64 }, title: "spec.pdf" },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain notes" } },
          ],
        },
      ],
    });
    const content = upstreamBody().messages.at(-1).content;
    expect(content.find((block: { type: string }) => block.type === "image").source).toEqual({ type: "base64", media_type: "image/png", data: pngBase64 });
    const documents = content.filter((block: { type: string }) => block.type === "document");
    expect(documents[0]).toMatchObject({ source: { type: "base64", media_type: "application/pdf", data: pdfBase64 }, title: "spec.pdf" });
    expect(documents[1]).toMatchObject({ source: { type: "text", media_type: "text/plain", data: "plain notes" } });
  });

  test("a history with tool use and tool results reaches the model turn by turn", async () => {
    await client.messages.create({
      model: "sonnet",
      max_tokens: 50,
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me check." },
            { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Oslo" } },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "rainy, 8C" }] },
        { role: "assistant", content: "It is rainy and 8C." },
        { role: "user", content: "And tomorrow?" },
      ],
    });
    const messages = upstreamBody().messages;
    expect(messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(messages[1].content).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Oslo" } },
    ]);
    expect(messages[2].content).toEqual([{ type: "tool_result", tool_use_id: "toolu_01", content: [{ type: "text", text: "rainy, 8C" }] }]);
    expect(messages[3].content).toEqual([{ type: "text", text: "It is rainy and 8C." }]);
  });

  test("thinking, when asked for, is requested upstream and returned with its signature", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["42"], thinking: "Let me think about it.", model: "claude-haiku-4-5-20251001" });
    const message = await client.messages.create({
      model: "haiku",
      max_tokens: 3000,
      thinking: { type: "enabled", budget_tokens: 2000 },
      messages: [{ role: "user", content: "answer?" }],
    });
    expect(message.content).toMatchObject([
      { type: "thinking", thinking: "Let me think about it.", signature: "sig_fake" },
      { type: "text", text: "42" },
    ]);
    expect(upstreamBody().thinking).toEqual({ type: "enabled", budget_tokens: 2000 });
  });

  test("temperature, top_k and stop_sequences reach the upstream; a stop sequence is reported", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["1, 2, "], stopReason: "stop_sequence", stopSequence: "3" });
    // Older clients still send sampling parameters; SDK 1.12's types no longer list them.
    const message = await client.messages.create({
      model: "sonnet",
      max_tokens: 40,
      temperature: 0.1,
      top_k: 3,
      stop_sequences: ["3"],
      messages: [{ role: "user", content: "count" }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.stop_reason).toBe("stop_sequence");
    expect(message.stop_sequence).toBe("3");
    expect(upstreamBody()).toMatchObject({ temperature: 0.1, top_k: 3, stop_sequences: ["3"], max_tokens: 40 });
  });

  test("max_tokens stops are reported as max_tokens", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["trunc"], stopReason: "max_tokens" }, { kind: "text", chunks: ["x"], delayMs: 1500 });
    const stream = client.messages.stream({ model: "sonnet", max_tokens: 2, messages: [{ role: "user", content: "long" }] });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content).toMatchObject([{ type: "text", text: "trunc" }]);
  });

  test("upstream 429 is a RateLimitError of type rate_limit_error", async () => {
    relay.upstream.enqueue(
      { kind: "error", status: 429, errorType: "rate_limit_error", message: "too fast" },
      { kind: "error", status: 429, errorType: "rate_limit_error", message: "too fast" },
    );
    const error = await client.messages.create({ model: "sonnet", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  }, 20_000);

  test("upstream 529 is a 529 overloaded_error, even when the client streams", async () => {
    relay.upstream.enqueue(
      { kind: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
      { kind: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
    );
    const error = await client.messages
      .stream({ model: "sonnet", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
      .finalMessage()
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(529);
    expect(error.error.error.type).toBe("overloaded_error");
  }, 20_000);

  test("upstream 400 is a BadRequestError with the upstream's message; bad input is a 400 in Anthropic's shape", async () => {
    relay.upstream.enqueue({ kind: "error", status: 400, errorType: "invalid_request_error", message: "messages: roles must alternate" });
    const upstreamError = await client.messages.create({ model: "sonnet", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(upstreamError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(upstreamError.message).toContain("roles must alternate");

    const response = await fetch(`${relay.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "sonnet", max_tokens: 5, messages: [{ role: "robot", content: "hi" }] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("role");

    const prefill = await client.messages
      .create({ model: "sonnet", max_tokens: 5, messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "The answer is" }] })
      .catch((e) => e);
    expect(prefill).toBeInstanceOf(Anthropic.BadRequestError);
    expect(prefill.message).toMatch(/prefill/);
  });

  test("count_tokens estimates every block type and grows with the input", async () => {
    const small = await client.messages.countTokens({ model: "sonnet", messages: [{ role: "user", content: "hi" }] });
    const large = await client.messages.countTokens({
      model: "sonnet",
      system: "You are helpful. ".repeat(50),
      tools: [{ name: "get_weather", description: "Weather for a city", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [
        { role: "user", content: [{ type: "text", text: "word ".repeat(400) }, { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } }] },
      ],
    });
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(large.input_tokens).toBeGreaterThan(small.input_tokens + 600);
    expect(relay.upstream.messageRequests()).toHaveLength(0);
  });
});
