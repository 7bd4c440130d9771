/**
 * The openai backend against the project's scripted fake OpenAI-compatible upstream: what goes out on the
 * wire, what comes back as neutral events, and how upstream failures reach the client.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { OpenAICompatibleBackend } from "../../src/backends/openai-compatible/openai-compatible-backend.ts";
import type { OpenAICompatibleOptions } from "../../src/backends/openai-compatible/openai-compatible-options.ts";
import { foldRelayEvents } from "../../src/core/fold-relay-events.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";
import type { RelayRequest } from "../../src/core/relay-request.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { startFakeOpenAIUpstream } from "../support/fake-openai-upstream.ts";

const upstream = startFakeOpenAIUpstream();
afterAll(() => upstream.stop());
beforeEach(() => {
  upstream.reset();
  upstream.setModels([{ id: "gpt-test" }, { id: "small-model", top_provider: { max_completion_tokens: 100, context_length: 4000 } }]);
});

async function backendFor(options: Partial<OpenAICompatibleOptions> = {}) {
  const backend = new OpenAICompatibleBackend({ name: "fake", baseUrl: upstream.url, apiKey: "sk-provider-key", ...options }, silentLogger);
  await backend.start();
  return backend;
}

function request(overrides: Partial<RelayRequest> = {}): RelayRequest {
  return { model: "gpt-test", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: true, warnings: [], ...overrides };
}

function context(signal = new AbortController().signal) {
  return { signal, requestId: "req_test", log: silentLogger, clientKey: "client" };
}

async function collect(events: AsyncIterable<RelayEvent>): Promise<RelayEvent[]> {
  const collected: RelayEvent[] = [];
  for await (const event of events) collected.push(event);
  return collected;
}

async function failureOf(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RelayError) return error;
    throw error;
  }
  throw new Error("expected a RelayError");
}

describe("openai backend against the fake upstream", () => {
  test("streams text, sends the key and the stream options, and reports the upstream's usage with cached tokens", async () => {
    const backend = await backendFor({ headers: { "HTTP-Referer": "https://example.org" } });
    upstream.enqueue({ kind: "text", chunks: ["Hello", " world"], usage: { prompt_tokens: 100, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 3 } } });
    const response = await foldRelayEvents(backend.stream(request({ system: "Be brief.", maxOutputTokens: 50, temperature: 1.5, stopSequences: ["END"], userId: "u1" }), context()));
    expect(response.content).toEqual([{ type: "text", text: "Hello world" }]);
    expect(response.finishReason).toEqual({ unified: "stop", raw: "stop" });
    expect(response.usage).toMatchObject({ inputTokens: 40, cacheReadInputTokens: 60, outputTokens: 9 });
    const [sent] = upstream.completionRequests();
    expect(sent!.path).toBe("/v1/chat/completions");
    expect(sent!.headers.authorization).toBe("Bearer sk-provider-key");
    expect(sent!.headers["http-referer"]).toBe("https://example.org");
    expect(sent!.body).toMatchObject({
      model: "gpt-test",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
      temperature: 1.5,
      stop: ["END"],
      user: "u1",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
    });
  });

  test("parallel tool calls arrive as separate calls with their ids, names and arguments", async () => {
    const backend = await backendFor();
    upstream.enqueue({
      kind: "tool-calls",
      text: "Checking both.",
      calls: [
        { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
        { id: "call_b", name: "get_time", arguments: '{"zone":"CET"}' },
      ],
    });
    const response = await foldRelayEvents(backend.stream(request(), context()));
    expect(response.content).toEqual([
      { type: "text", text: "Checking both." },
      { type: "tool-call", id: "call_a", name: "get_weather", input: '{"city":"Paris"}' },
      { type: "tool-call", id: "call_b", name: "get_time", input: '{"zone":"CET"}' },
    ]);
    expect(response.finishReason).toEqual({ unified: "tool-calls", raw: "tool_calls" });
  });

  test("interleaved fragments of parallel calls stay with their own call", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "tool-calls", interleave: true, calls: [{ id: "call_a", name: "a", arguments: '{"x":"first"}' }, { id: "call_b", name: "b", arguments: '{"y":"second"}' }] });
    const response = await foldRelayEvents(backend.stream(request(), context()));
    expect(response.content).toEqual([
      { type: "tool-call", id: "call_a", name: "a", input: '{"x":"first"}' },
      { type: "tool-call", id: "call_b", name: "b", input: '{"y":"second"}' },
    ]);
  });

  test("tool calls without an index (Gemini's endpoint) are told apart by their ids", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "tool-calls", omitIndex: true, calls: [{ id: "g1", name: "a", arguments: "{}" }, { id: "g2", name: "b", arguments: '{"k":1}' }] });
    const response = await foldRelayEvents(backend.stream(request(), context()));
    expect(response.content).toEqual([
      { type: "tool-call", id: "g1", name: "a", input: "{}" },
      { type: "tool-call", id: "g2", name: "b", input: '{"k":1}' },
    ]);
  });

  test("reasoning deltas become reasoning, empty ones are ignored, in either field name", async () => {
    const backend = await backendFor();
    for (const reasoningField of ["reasoning_content", "reasoning"] as const) {
      upstream.enqueue({ kind: "text", reasoning: ["", "Let me ", "", "think."], reasoningField, chunks: ["42"] });
      const events = await collect(backend.stream(request(), context()));
      const deltas = events.filter((event) => event.type === "reasoning-delta").map((event) => (event as { delta: string }).delta);
      expect(deltas.join("")).toBe("Let me think.");
      expect(deltas).not.toContain("");
      expect(events.filter((event) => event.type === "reasoning-start")).toHaveLength(1);
      const response = await foldRelayEvents((async function* () { yield* events; })());
      expect(response.content).toEqual([{ type: "reasoning", text: "Let me think." }, { type: "text", text: "42" }]);
    }
  });

  test("an unknown finish_reason is kept raw, never reported as stop", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "text", chunks: ["partial"], finishReason: "eos_token" });
    const response = await foldRelayEvents(backend.stream(request(), context()));
    expect(response.finishReason).toEqual({ unified: "other", raw: "eos_token" });
  });

  test("max_tokens is clamped to the model's output limit from /models", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "text", chunks: ["ok"] });
    await foldRelayEvents(backend.stream(request({ model: "small-model", maxOutputTokens: 32_000 }), context()));
    expect(upstream.completionRequests()[0]!.body.max_tokens).toBe(100);
    expect((await backend.listModels()).map((model) => model.id)).toEqual(["gpt-test", "small-model"]);
  });

  test("reasoning models get max_completion_tokens; others learn it from the upstream's 400 and keep it", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "text", chunks: ["ok"] });
    await foldRelayEvents(backend.stream(request({ model: "openai/gpt-5.4", maxOutputTokens: 64 }), context()));
    expect(upstream.completionRequests()[0]!.body).toMatchObject({ max_completion_tokens: 64 });
    expect(upstream.completionRequests()[0]!.body.max_tokens).toBeUndefined();

    upstream.reset();
    upstream.enqueue(
      { kind: "error", status: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", param: "max_tokens", code: "unsupported_parameter" },
      { kind: "text", chunks: ["first"] },
      { kind: "text", chunks: ["second"] },
    );
    const first = await foldRelayEvents(backend.stream(request({ model: "novel-reasoner", maxOutputTokens: 64 }), context()));
    expect(first.content).toEqual([{ type: "text", text: "first" }]);
    await foldRelayEvents(backend.stream(request({ model: "novel-reasoner", maxOutputTokens: 64 }), context()));
    const bodies = upstream.completionRequests().map((recorded) => recorded.body);
    expect(bodies.map((body) => [body.max_tokens, body.max_completion_tokens])).toEqual([[64, undefined], [undefined, 64], [undefined, 64]]);
  });

  test("a model without reasoning refuses reasoning_effort once; the request is re-sent without it, and later ones skip it", async () => {
    const backend = await backendFor();
    upstream.enqueue(
      { kind: "error", status: 400, message: "Unrecognized request argument supplied: reasoning_effort", param: "reasoning_effort" },
      { kind: "text", chunks: ["plain answer"] },
      { kind: "text", chunks: ["again"] },
    );
    // Claude Code sends effort "high" with every request.
    const events = await collect(backend.stream(request({ model: "gpt-4o", effort: "high" }), context()));
    expect(events.find((event) => event.type === "stream-start")).toMatchObject({ warnings: [{ parameter: "reasoning_effort" }] });
    await foldRelayEvents(backend.stream(request({ model: "gpt-4o", effort: "high" }), context()));
    expect(upstream.completionRequests().map((recorded) => recorded.body.reasoning_effort)).toEqual(["high", undefined, undefined]);
  });

  test("a 400 about something else is the client's error, not re-sent", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "error", status: 400, message: "Invalid 'messages[0].content': string too long.", param: "messages" });
    const error = await failureOf(collect(backend.stream(request({ maxOutputTokens: 10, effort: "low" }), context())));
    expect([error.status, error.message]).toEqual([400, "Provider \"fake\": Invalid 'messages[0].content': string too long."]);
    expect(upstream.completionRequests()).toHaveLength(1);
  });

  test("Azure: api-version in the query and the key in the api-key header", async () => {
    const backend = await backendFor({ apiVersion: "2024-12-01-preview" });
    upstream.enqueue({ kind: "text", chunks: ["ok"] });
    await foldRelayEvents(backend.stream(request(), context()));
    const [sent] = upstream.completionRequests();
    expect(sent!.path).toBe("/v1/chat/completions?api-version=2024-12-01-preview");
    expect(sent!.headers["api-key"]).toBe("sk-provider-key");
    expect(sent!.headers.authorization).toBeUndefined();
  });

  test("a rejected provider key is a 502 naming the provider, not a 401 blaming the client", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "error", status: 401, message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" });
    const error = await failureOf(collect(backend.stream(request(), context())));
    expect(error.status).toBe(502);
    expect(error.message).toContain('Provider "fake" rejected the relay\'s API key');
  });

  test("429 keeps its status and retry-after; 500 keeps its status and message", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "error", status: 429, message: "Rate limit reached", type: "rate_limit_error", retryAfterSeconds: 7 }, { kind: "error", status: 500, message: "boom", type: "server_error" });
    const limited = await failureOf(collect(backend.stream(request(), context())));
    expect([limited.status, limited.kind, limited.retryAfterSeconds]).toEqual([429, "rate_limit", 7]);
    expect(limited.message).toContain("Rate limit reached");
    const failed = await failureOf(collect(backend.stream(request(), context())));
    expect([failed.status, failed.message]).toEqual([500, 'Provider "fake" failed (500): boom']);
  });

  test("an unreachable provider is a 502 naming it and its URL, and unavailable in health", async () => {
    const port = Bun.serve({ port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${port.port}/v1`;
    await port.stop(true);
    const backend = new OpenAICompatibleBackend({ name: "gone", baseUrl: url }, silentLogger);
    await backend.start();
    expect(backend.health()).toMatchObject({ ok: false });
    const error = await failureOf(collect(backend.stream(request(), context())));
    expect(error.status).toBe(502);
    expect(error.message).toContain(`Provider "gone" cannot be reached at ${url}/chat/completions`);
  });

  test("a stalled stream times out with 504 and the upstream connection is closed", async () => {
    const backend = await backendFor({ timeoutMs: 300 });
    upstream.enqueue({ kind: "stall", chunks: ["slow"] });
    const events: RelayEvent[] = [];
    const error = await failureOf((async () => { for await (const event of backend.stream(request(), context())) events.push(event); })());
    expect(error.status).toBe(504);
    expect(events.some((event) => event.type === "text-delta")).toBe(true);
    await upstream.completionRequests()[0]!.aborted;
  });

  test("the client's disconnect aborts the upstream request at once", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "stall", chunks: ["waiting"] });
    const client = new AbortController();
    const iterator = backend.stream(request(), context(client.signal))[Symbol.asyncIterator]();
    while (true) {
      const next = await iterator.next();
      if (next.done || next.value.type === "text-delta") break;
    }
    client.abort(new RelayError("api_error", "client disconnected", { status: 499 }));
    await Promise.race([iterator.next().catch(() => undefined), iterator.return?.(undefined)]);
    await upstream.completionRequests()[0]!.aborted;
    expect(upstream.completionRequests()[0]!.wasAborted).toBe(true);
  });

  test("a stream cut before its finish is an error, not a short answer", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "cut", chunks: ["half an ans"] });
    const error = await failureOf(collect(backend.stream(request(), context())));
    expect(error.status).toBe(502);
  });

  test("an error inside the stream reaches the client with its message", async () => {
    const backend = await backendFor();
    upstream.enqueue({ kind: "stream-error", chunks: ["so far"], message: "upstream model crashed", code: 502 });
    const error = await failureOf(collect(backend.stream(request(), context())));
    expect(error.message).toContain("upstream model crashed");
  });

  test("connections to the upstream are reused", async () => {
    const backend = await backendFor();
    for (let index = 0; index < 3; index++) await foldRelayEvents(backend.stream(request(), context()));
    const remotes = new Set(upstream.completionRequests().map((recorded) => recorded.remote));
    expect(remotes.size).toBe(1);
  });
});
