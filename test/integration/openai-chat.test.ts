/**
 * OpenAI Chat Completions through the real claude CLI against the scripted fake upstream,
 * with the official `openai` package as the caller.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
let client: OpenAI;

// A 2x2 red PNG.
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAwMDAAAAM/gH/R7t1ugAAAABJRU5ErkJggg==";

beforeAll(async () => {
  relay = await startTestRelay();
  client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "anything", maxRetries: 0 });
});
afterAll(() => relay.close());
beforeEach(async () => {
  await relay.settle();
  relay.upstream.reset();
});

/** The user-visible text blocks of an upstream message, without the CLI's date reminder. */
function texts(message: { content: string | Array<{ type: string; text?: string }> }): string[] {
  if (typeof message.content === "string") return [message.content];
  return message.content.filter((block) => block.type === "text" && !block.text!.startsWith("<system-reminder>")).map((block) => block.text!);
}

describe("OpenAI chat completions through the real claude CLI", () => {
  test("non-streaming answer carries the upstream text, model, finish reason and exact usage", async () => {
    relay.upstream.enqueue({
      kind: "text",
      chunks: ["Paris is ", "the capital."],
      model: "claude-sonnet-5",
      usage: { input_tokens: 30, output_tokens: 11, cache_creation_input_tokens: 7, cache_read_input_tokens: 200 },
    });
    const completion = await client.chat.completions.create({
      model: "sonnet",
      messages: [
        { role: "system", content: "You answer geography questions." },
        { role: "developer", content: "Be brief." },
        { role: "user", content: "Capital of France?" },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0].message).toMatchObject({ role: "assistant", content: "Paris is the capital." });
    expect(completion.choices[0].finish_reason).toBe("stop");
    expect(completion.model).toBe("claude-sonnet-5");
    expect(completion.usage).toMatchObject({
      prompt_tokens: 30 + 7 + 200,
      completion_tokens: 11,
      total_tokens: 248,
      prompt_tokens_details: { cached_tokens: 200 },
    });

    const [request] = relay.upstream.messageRequests();
    expect(request.body.model).toBe("claude-sonnet-5");
    // The client's instructions replace Claude Code's coding-agent prompt; no tools are offered.
    expect(request.body.system.at(-1).text).toBe("You answer geography questions.\n\nBe brief.");
    expect(JSON.stringify(request.body.system)).not.toContain("Claude Code");
    expect(request.body.tools).toEqual([]);
    // No thinking unless the client asks for it, as with the API.
    expect(request.body.thinking).toEqual({ type: "disabled" });
  });

  test("streaming sends the role first, content deltas, the real finish reason, a usage chunk and [DONE]", async () => {
    relay.upstream.enqueue({
      kind: "text",
      chunks: ["one ", "two ", "three"],
      delayMs: 30,
      usage: { input_tokens: 40, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 12 },
    });
    const stream = await client.chat.completions.create({
      model: "sonnet",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "count" }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const content = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? "")).join("");
    expect(content).toBe("one two three");
    // Deltas arrive as the CLI streams them, not as one block at the end.
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThanOrEqual(3);
    const finishChunk = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishChunk!.choices[0].finish_reason).toBe("stop");
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: 52, completion_tokens: 3, total_tokens: 55, prompt_tokens_details: { cached_tokens: 12 } });
  });

  test("the raw stream ends with data: [DONE] and names no usage without include_usage", async () => {
    const response = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const body = await response.text();
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(body).not.toContain('"usage"');
  });

  test("earlier turns reach the model as real user and assistant turns", async () => {
    await client.chat.completions.create({
      model: "sonnet",
      messages: [
        { role: "system", content: "Remember names." },
        { role: "user", content: "My name is Bob." },
        { role: "assistant", content: "Nice to meet you, Bob." },
        { role: "user", content: "I live in Oslo." },
        { role: "assistant", content: "Oslo is lovely." },
        { role: "user", content: "What is my name?" },
      ],
    });
    const { body } = relay.upstream.messageRequests()[0];
    expect(body.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(body.messages.map(texts)).toEqual([["My name is Bob."], ["Nice to meet you, Bob."], ["I live in Oslo."], ["Oslo is lovely."], ["What is my name?"]]);
    // The replayed session file is removed after the request.
    const projects = `${relay.home}/.claude/projects`;
    const leftovers = [...new Bun.Glob("**/*.jsonl").scanSync(projects)];
    expect(leftovers).toEqual([]);
  });

  test("image parts reach the model as images, byte for byte", async () => {
    await client.chat.completions.create({
      model: "sonnet",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What colour is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${pngBase64}` } },
          ],
        },
      ],
    });
    const user = relay.upstream.messageRequests()[0].body.messages.at(-1);
    const image = user.content.find((block: { type: string }) => block.type === "image");
    expect(image.source).toEqual({ type: "base64", media_type: "image/png", data: pngBase64 });
    expect(texts(user)).toEqual(["What colour is this?"]);
  });

  test("max_tokens, temperature, top_p and stop reach the upstream; a max_tokens stop is finish_reason length", async () => {
    relay.upstream.enqueue(
      { kind: "text", chunks: ["cut o"], stopReason: "max_tokens", usage: { input_tokens: 9, output_tokens: 5 } },
      // What the CLI's automatic continuation would get, with a real upstream's latency.
      { kind: "text", chunks: ["ff and continued"], delayMs: 1500 },
    );
    const completion = await client.chat.completions.create({
      model: "sonnet",
      max_tokens: 5,
      temperature: 0.25,
      top_p: 0.9,
      stop: ["END"],
      messages: [{ role: "user", content: "write a lot" }],
    });
    expect(completion.choices[0].finish_reason).toBe("length");
    expect(completion.choices[0].message.content).toBe("cut o");
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5 });
    const { body } = relay.upstream.messageRequests()[0];
    expect(body).toMatchObject({ max_tokens: 5, temperature: 0.25, top_p: 0.9, stop_sequences: ["END"] });
    // The CLI auto-continues a max_tokens stop at once; the relay interrupts it and ends the process. Once the
    // process is gone, a continuation it sent (if the interrupt did not come first) was cut, never answered: the
    // scripted reply would have completed 1.5 s after the request.
    // Settled: every CLI process still running is one the relay keeps (warm or live), not the interrupted one.
    await relay.settle();
    const continuations = relay.upstream.messageRequests().slice(1);
    expect(continuations.length).toBeLessThanOrEqual(1);
    for (const request of continuations) await waitFor(() => request.wasAborted || request.completed, { what: "the continuation to end" });
    expect(continuations.filter((request) => request.completed)).toEqual([]);
  });

  test("a stop sequence ends the answer with finish_reason stop", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["a, b, "], stopReason: "stop_sequence", stopSequence: "c" });
    const completion = await client.chat.completions.create({ model: "sonnet", stop: "c", messages: [{ role: "user", content: "abc" }] });
    expect(completion.choices[0].finish_reason).toBe("stop");
  });

  test("a non-Claude model name falls back to the default model and the answer names the real one", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["ok"], model: "claude-opus-4-8" });
    const completion = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    expect(completion.model).toBe("claude-opus-4-8");
    expect(relay.logs.some((line) => line.parameter === "model" && /gpt-4o/.test(line.message))).toBe(true);
  });

  test("unknown fields are accepted; n > 1 is a 400 in OpenAI's error shape", async () => {
    const ok = await client.chat.completions.create({
      model: "sonnet",
      messages: [{ role: "user", content: "hi" }],
      // @ts-expect-error a field from the future
      some_future_field: { nested: true },
      frequency_penalty: 0.5,
      seed: 7,
    });
    expect(ok.choices[0].message.content).toBe("Hello from fake upstream!");

    const error = await client.chat.completions.create({ model: "sonnet", n: 2, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ type: "invalid_request_error", param: "n" });
  });

  test("a malformed body is a 400 that names the problem", async () => {
    const missing = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet" }),
    });
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("messages");

    const badJson = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toMatch(/JSON/);
  });

  test("upstream 429 is a RateLimitError with status 429", async () => {
    relay.upstream.enqueue(
      { kind: "error", status: 429, errorType: "rate_limit_error", message: "slow down" },
      { kind: "error", status: 429, errorType: "rate_limit_error", message: "slow down" },
    );
    const error = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.message).toContain("slow down");
  });

  test("upstream overload (529) and server errors (500) are 5xx server errors", async () => {
    relay.upstream.enqueue(
      { kind: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
      { kind: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
    );
    const overloaded = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(overloaded).toBeInstanceOf(OpenAI.InternalServerError);
    expect(overloaded.status).toBe(503);
    expect(overloaded.error.type).toBe("server_error");

    relay.upstream.enqueue(
      { kind: "error", status: 500, errorType: "api_error", message: "boom" },
      { kind: "error", status: 500, errorType: "api_error", message: "boom" },
    );
    const failed = await client.chat.completions.create({ model: "sonnet", stream: true, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failed.status).toBe(500);
  });

  test("upstream 400 stays a 400 with the upstream's message", async () => {
    relay.upstream.enqueue({ kind: "error", status: 400, errorType: "invalid_request_error", message: "messages.0.content: bad block" });
    const error = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain("messages.0.content: bad block");
    expect(relay.upstream.messageRequests()).toHaveLength(1);
  });

  test("a backend login failure says to log in to Claude Code and is not a 401", async () => {
    relay.upstream.enqueue(
      { kind: "error", status: 401, errorType: "authentication_error", message: "invalid x-api-key" },
      { kind: "error", status: 401, errorType: "authentication_error", message: "invalid x-api-key" },
    );
    const error = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).not.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/log in to Claude Code/i);
    expect(error.headers.get("x-should-retry")).toBe("false");
  });

  test("the CLI's retry budget is the relay's: one retry by default, not ten", async () => {
    relay.upstream.enqueue(
      { kind: "error", status: 500, errorType: "api_error", message: "flaky" },
      { kind: "text", chunks: ["recovered"] },
    );
    const completion = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0].message.content).toBe("recovered");
    expect(relay.upstream.messageRequests()).toHaveLength(2);
  });
});
