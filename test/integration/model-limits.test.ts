/**
 * A request beyond the model's limits is the client's 400 in its own protocol, never a retryable 502 and
 * never a silently lowered value: max_tokens above the model's output limit and a prompt far beyond its
 * context window are refused before a CLI is started; a prompt the upstream finds too long (the real claude
 * CLI against the fake Anthropic API answering its 400, the fake OpenAI upstream answering
 * context_length_exceeded) comes back as the protocol's context-length error.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from "../support/fake-openai-upstream.ts";
import { startOpenAIProviderRelay, type OpenAIProviderRelay } from "../support/openai-provider-relay.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  relay = await startTestRelay({ args: ["--warm-processes", "0"] });
  openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-key", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: relay.url, apiKey: "client-key", maxRetries: 0 });
});
afterAll(() => relay.close());

/** The error an SDK call failed with. */
async function failureOf(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** Runs `call` and checks that it neither reached the upstream nor started a CLI. */
async function refusedBeforeTheCli<T>(call: () => Promise<T>): Promise<T> {
  const upstreamBefore = relay.upstream.messageRequests().length;
  const processesBefore = relay.cliPids().length;
  const result = await call();
  expect(relay.upstream.messageRequests().length).toBe(upstreamBefore);
  expect(relay.cliPids().length).toBe(processesBefore);
  return result;
}

describe("max_tokens beyond the model's output limit", () => {
  test("Anthropic Messages: max_tokens above haiku's 64000 is a 400 naming max_tokens", async () => {
    // Streaming: the SDK itself refuses a non-streaming request for this many tokens.
    const error = await refusedBeforeTheCli(() => failureOf(anthropic.messages.create({ model: "haiku", max_tokens: 64_001, stream: true, messages: [{ role: "user", content: "hi" }] })));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error.error).toMatchObject({ type: "invalid_request_error" });
    expect(error.error.error.message).toStartWith("max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5");
  });

  test("Chat Completions: max_completion_tokens and max_tokens are named as sent", async () => {
    for (const parameter of ["max_completion_tokens", "max_tokens"] as const) {
      const error = await refusedBeforeTheCli(() => failureOf(openai.chat.completions.create({ model: "sonnet", [parameter]: 500_000, messages: [{ role: "user", content: "hi" }] })));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.error).toMatchObject({ type: "invalid_request_error", param: parameter });
      expect(error.error.message).toContain("128000");
    }
  });

  test("Responses: max_output_tokens is named", async () => {
    const error = await refusedBeforeTheCli(() => failureOf(openai.responses.create({ model: "opus", max_output_tokens: 128_001, input: "hi" })));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ type: "invalid_request_error", param: "max_output_tokens" });
  });

  test("the limit itself is accepted and reaches the CLI as asked", async () => {
    relay.upstream.setDefault({ kind: "text", chunks: ["fine"] });
    const message = await anthropic.messages.stream({ model: "haiku", max_tokens: 64_000, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "fine" })]);
    expect(relay.upstream.messageRequests().at(-1)!.body.max_tokens).toBe(64_000);
    relay.upstream.setDefault({ kind: "text", chunks: ["Hello from ", "fake upstream!"] });
    await relay.settle();
  });
});

describe("a prompt longer than the model's context window", () => {
  // About 1.5M estimated tokens: far beyond a 200000-token window, whatever the tokenizer makes of it.
  const hugePrompt = "lorem ipsum dolor sit amet ".repeat(200_000);

  test("known beforehand: refused before a CLI starts, in each protocol's shape", async () => {
    const anthropicError = await refusedBeforeTheCli(() => failureOf(anthropic.messages.create({ model: "sonnet", max_tokens: 100, messages: [{ role: "user", content: hugePrompt }] })));
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error.error).toMatchObject({ type: "invalid_request_error", message: expect.stringMatching(/^prompt is too long: about \d+ tokens > 200000 maximum/) });

    const chatError = await refusedBeforeTheCli(() => failureOf(openai.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: hugePrompt }] })));
    expect(chatError).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chatError.error).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error", param: "messages" });

    const responsesError = await refusedBeforeTheCli(() => failureOf(openai.responses.create({ model: "sonnet", input: hugePrompt })));
    expect(responsesError).toBeInstanceOf(OpenAI.BadRequestError);
    expect(responsesError.error).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error", param: "input" });
  });

  test("reported by the upstream through the real CLI: the upstream's message, a 400, not retryable", async () => {
    const upstreamMessage = "prompt is too long: 250000 tokens > 200000 maximum";
    relay.upstream.setDefault({ kind: "error", status: 400, errorType: "invalid_request_error", message: upstreamMessage });
    try {
      const anthropicResponse = await fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "sonnet", max_tokens: 100, messages: [{ role: "user", content: "a long prompt" }] }),
      });
      expect(anthropicResponse.status).toBe(400);
      expect(anthropicResponse.headers.get("x-should-retry")).not.toBe("true");
      expect(((await anthropicResponse.json()) as any).error).toEqual({ type: "invalid_request_error", message: upstreamMessage });

      const chatError = await failureOf(openai.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "a long prompt" }] }));
      expect(chatError).toBeInstanceOf(OpenAI.BadRequestError);
      expect(chatError.error).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error", param: "messages", message: upstreamMessage });

      const streamed = await fetch(`${relay.url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "sonnet", input: "a long prompt", stream: true }),
      });
      expect(streamed.status).toBe(400);
      expect(((await streamed.json()) as any).error).toMatchObject({ code: "context_length_exceeded", param: "input", message: upstreamMessage });
    } finally {
      relay.upstream.setDefault({ kind: "text", chunks: ["Hello from ", "fake upstream!"] });
    }
    await relay.settle();
  });
});

describe("an OpenAI-compatible upstream's context_length_exceeded", () => {
  let upstream: FakeOpenAIUpstream;
  let providerRelay: OpenAIProviderRelay;
  beforeAll(async () => {
    upstream = startFakeOpenAIUpstream();
    providerRelay = await startOpenAIProviderRelay({ config: () => `providers:\n  primary:\n    type: openai\n    base_url: ${upstream.url}\n    api_key: sk-primary\ndefault: primary\n` });
  });
  afterAll(async () => {
    await providerRelay.close();
    await upstream.stop();
  });

  test("reaches OpenAI clients as the API's own error, and Anthropic clients as invalid_request_error", async () => {
    const message = "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.";
    const reply = { kind: "error" as const, status: 400, type: "invalid_request_error", code: "context_length_exceeded", param: "messages", message };
    upstream.enqueue(reply, reply);
    const client = new OpenAI({ baseURL: `${providerRelay.url}/v1`, apiKey: "client-key", maxRetries: 0 });
    const chatError = await failureOf(client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: "long" }] }));
    expect(chatError).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chatError.error).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error", param: "messages" });
    expect(chatError.error.message).toContain(message);

    const anthropicClient = new Anthropic({ baseURL: providerRelay.url, apiKey: "client-key", maxRetries: 0 });
    const anthropicError = await failureOf(anthropicClient.messages.create({ model: "gpt-test", max_tokens: 10, messages: [{ role: "user", content: "long" }] }));
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error.error).toMatchObject({ type: "invalid_request_error" });
    expect(anthropicError.error.error.message).toContain(message);
  });
});
