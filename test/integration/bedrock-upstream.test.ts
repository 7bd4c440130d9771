/**
 * Bedrock as an upstream, against the project's fake Bedrock (binary event stream, signatures verified):
 * Anthropic clients passed through to Claude models, OpenAI clients through the hub to Claude (InvokeModel)
 * and to other models (Converse), AWS errors mapped, mid-stream exceptions in-band.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startRoutedRelay } from "../support/backend-relay.ts";
import { anthropicEventsFor, startFakeBedrock } from "../support/fake-bedrock.ts";

const claude = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const llama = "us.meta.llama3-3-70b-instruct-v1:0";
const fake = startFakeBedrock({ bearerTokens: ["bedrock-key"] });
const relay = startRoutedRelay(`
providers:
  aws:
    type: bedrock
    region: us-east-1
    base_url: ${fake.url}
    api_key: bedrock-key
models:
  sonnet: aws/${claude}
  llama: aws/${llama}
default: aws/${claude}
`);

afterAll(async () => {
  await relay.stop();
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  relay.logs.length = 0;
});

async function postMessages(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${relay.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify(body),
  });
}

describe("Anthropic clients to Claude on Bedrock (passthrough)", () => {
  test("the body adapted as Bedrock requires, the events' bytes unchanged, usage in the log line", async () => {
    fake.enqueue({ kind: "text", chunks: ["Hello", " there"], thinking: { text: "hmm", signature: "c2lnbmF0dXJl" }, usage: { input_tokens: 30, output_tokens: 12, cache_read_input_tokens: 500 } });
    const response = await postMessages(
      {
        model: "sonnet",
        max_tokens: 2048,
        stream: true,
        cache_control: { type: "ephemeral" },
        metadata: { user_id: "u1" },
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [{ name: "Read", input_schema: { type: "object" } }],
        messages: [{ role: "user", content: [{ type: "text", text: "hi" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] }],
      },
      { "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14" },
    );
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(response.headers.get("x-agent-relay-model")).toBe(claude);

    const [seen] = fake.requests;
    expect(seen!.operation).toBe("invoke-with-response-stream");
    expect(seen!.modelId).toBe(claude);
    expect(seen!.auth).toEqual({ kind: "bearer", token: "bedrock-key" });
    expect(seen!.body).toEqual({
      anthropic_version: "bedrock-2023-05-31",
      anthropic_beta: ["interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"],
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [{ name: "Read", input_schema: { type: "object" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" }, cache_control: { type: "ephemeral" } }] }],
    });

    // Each SSE event is exactly the JSON Bedrock carried in its chunk frame.
    const dataLines = text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6));
    const expected = anthropicEventsFor({ kind: "text", chunks: ["Hello", " there"], thinking: { text: "hmm", signature: "c2lnbmF0dXJl" }, usage: { input_tokens: 30, output_tokens: 12, cache_read_input_tokens: 500 } }, "claude-sonnet-4-5-20250929");
    expect(dataLines.map((line) => JSON.parse(line).type)).toEqual(expected.map((event) => event.type));
    expect(text).toContain(`"signature":"c2lnbmF0dXJl"`);
    expect(text).toContain("amazon-bedrock-invocationMetrics");

    const [line] = await relay.waitForRequestLines(1);
    expect(line).toMatchObject({ msg: "request completed", status: 200, input_tokens: 530, cache_read_tokens: 500, output_tokens: 12, finish_reason: "end_turn" });
  });

  test("the official SDK gets a complete message, thinking signature included", async () => {
    fake.enqueue({ kind: "text", chunks: ["4"], thinking: { text: "2+2", signature: "U0lH" } });
    const client = new Anthropic({ baseURL: relay.url, apiKey: "anything" });
    const message = await client.messages.stream({ model: "sonnet", max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "2+2?" }] }).finalMessage();
    expect(message.content).toEqual([
      { type: "thinking", thinking: "2+2", signature: "U0lH" },
      { type: "text", text: "4" },
    ] as any);
  });

  test("a non-streaming request is InvokeModel, the JSON answer as Bedrock sent it", async () => {
    fake.enqueue({ kind: "tool-use", calls: [{ id: "toolu_1", name: "Read", input: { path: "a.txt" } }] });
    const response = await postMessages({ model: "sonnet", max_tokens: 100, messages: [{ role: "user", content: "read a.txt" }] });
    const body = (await response.json()) as any;
    expect(fake.requests[0]!.operation).toBe("invoke");
    expect(body.content).toEqual([{ type: "tool_use", id: "toolu_1", name: "Read", input: { path: "a.txt" } }]);
    expect(response.headers.get("x-amzn-bedrock-input-token-count")).toBe("21");
  });

  test("an exception frame mid-stream becomes an in-band error event and a failed request", async () => {
    fake.enqueue({ kind: "exception", chunks: ["partial "], exceptionType: "modelStreamErrorException", message: "The model stream broke" });
    const response = await postMessages({ model: "sonnet", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain('"text":"partial "');
    const errorData = JSON.parse(text.split("event: error\ndata: ")[1]!.split("\n")[0]!);
    expect(errorData).toEqual({ type: "error", error: { type: "api_error", message: 'Bedrock (provider "aws") failed: The model stream broke' } });
    const [line] = await relay.waitForRequestLines(1);
    expect(line).toMatchObject({ msg: "request failed", status: 200, error_in_stream: true });
  });

  test("on-demand throughput refused: a 400 naming the inference profile to use", async () => {
    fake.enqueue({ kind: "error", status: 400, errorType: "ValidationException", message: "Invocation of model ID anthropic.claude-3-5-haiku-20241022-v1:0 with on-demand throughput isn’t supported." });
    const response = await postMessages({ model: "aws/anthropic.claude-3-5-haiku-20241022-v1:0", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("us.anthropic.claude-3-5-haiku-20241022-v1:0");
  });

  test("throttling is a 429; rejected credentials a 502 naming the provider", async () => {
    fake.enqueue({ kind: "error", status: 429, errorType: "ThrottlingException", message: "Too many requests, please wait before trying again." });
    const throttled = await postMessages({ model: "aws/anthropic.claude-throttled-v1:0", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    expect(throttled.status).toBe(429);
    expect(((await throttled.json()) as any).error.type).toBe("rate_limit_error");

    fake.enqueue({ kind: "error", status: 403, errorType: "AccessDeniedException", message: "You don't have access to the model with the specified model ID." });
    const denied = await postMessages({ model: "aws/anthropic.claude-denied-v1:0", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    expect(denied.status).toBe(502);
    expect(((await denied.json()) as any).error.message).toContain('provider "aws"');
  });

  test("count_tokens is a local estimate (Bedrock has no counting call)", async () => {
    const response = await fetch(`${relay.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "x".repeat(3500) }] }),
    });
    const body = (await response.json()) as { input_tokens: number };
    expect(body.input_tokens).toBeGreaterThan(900);
    expect(body.input_tokens).toBeLessThan(1200);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("OpenAI clients to Bedrock (through the hub)", () => {
  const openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "anything" });

  test("chat to Claude: InvokeModel with the Messages body; a streamed tool call comes back as tool_calls", async () => {
    fake.enqueue({ kind: "tool-use", text: "Reading.", calls: [{ id: "toolu_7", name: "read_file", input: { path: "notes.md" } }] });
    const stream = await openai.chat.completions.create({
      model: "sonnet",
      stream: true,
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "read notes.md" }],
      tools: [{ type: "function", function: { name: "read_file", parameters: { type: "object", properties: { path: { type: "string" } } } } }],
    });
    let argumentsText = "";
    let finishReason: string | null | undefined;
    let toolName: string | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const call of choice?.delta.tool_calls ?? []) {
        toolName ??= call.function?.name;
        argumentsText += call.function?.arguments ?? "";
      }
      finishReason = choice?.finish_reason ?? finishReason;
    }
    expect(toolName).toBe("read_file");
    expect(JSON.parse(argumentsText)).toEqual({ path: "notes.md" });
    expect(finishReason).toBe("tool_calls");
    const body = fake.requests[0]!.body;
    expect(fake.requests[0]!.operation).toBe("invoke-with-response-stream");
    expect(body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(body.system).toBe("Be brief.");
    expect(body.tools).toEqual([{ name: "read_file", input_schema: { type: "object", properties: { path: { type: "string" } } } }]);
    expect(body.model).toBeUndefined();
  });

  test("chat to a non-Claude model goes through ConverseStream", async () => {
    fake.enqueue({ kind: "text", chunks: ["Hi", " from Llama"], usage: { input_tokens: 8, output_tokens: 4 } });
    const completion = await openai.chat.completions.create({ model: "llama", messages: [{ role: "user", content: "hello" }], max_tokens: 50 });
    expect(completion.choices[0]!.message.content).toBe("Hi from Llama");
    expect(completion.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 4 });
    expect(fake.requests[0]!.operation).toBe("converse");
    expect(fake.requests[0]!.body).toEqual({ messages: [{ role: "user", content: [{ text: "hello" }] }], inferenceConfig: { maxTokens: 50 } });
  });

  test("the Responses API to Claude", async () => {
    fake.enqueue({ kind: "text", chunks: ["Paris."] });
    const response = await openai.responses.create({ model: "sonnet", input: "Capital of France?" });
    expect(response.output_text).toBe("Paris.");
    expect(fake.requests[0]!.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Capital of France?" }] }]);
  });
});
