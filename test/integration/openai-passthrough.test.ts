/**
 * OpenAI Chat Completions clients through `type: openai` providers: the request arrives upstream unchanged but
 * for the model and the credentials (n, logprobs and unknown fields included), the answer reaches the client
 * byte for byte, and the relay's log line, metrics and inspector still show the upstream's real usage. Routes
 * that cannot pass through (a chain mixing provider types, `passthrough: false`) keep the hub and its 400 for n.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from "../support/fake-openai-upstream.ts";
import { startOpenAIProviderRelay, type OpenAIProviderRelay } from "../support/openai-provider-relay.ts";
import { waitFor } from "../support/wait-for.ts";

let primary: FakeOpenAIUpstream;
let secondary: FakeOpenAIUpstream;
let relay: OpenAIProviderRelay;
let openai: OpenAI;

beforeAll(async () => {
  primary = startFakeOpenAIUpstream();
  secondary = startFakeOpenAIUpstream();
  relay = await startOpenAIProviderRelay({
    config: () => `
providers:
  primary:
    type: openai
    base_url: ${primary.url}
    api_key: sk-primary-provider-key
    headers: { HTTP-Referer: https://example.org, X-Title: relay-tests }
  secondary:
    type: openai
    base_url: ${secondary.url}
    api_key: sk-secondary-provider-key
  azure:
    type: openai
    base_url: ${secondary.url}/deployments/gpt-deploy
    api_key: azure-provider-key
    api_version: 2024-12-01-preview
  quiet:
    type: openai
    base_url: ${primary.url}
    timeout: 1s
  translated:
    type: openai
    base_url: ${secondary.url}
    passthrough: false
  gateway:
    type: anthropic
    base_url: http://127.0.0.1:9
    api_key: unused
models:
  fast: primary/gpt-upstream
  chain: [primary/gpt-first, secondary/gpt-second]
  mixed: [primary/gpt-test, gateway/claude-sonnet-4-5]
default: primary
`,
  });
  openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-key-to-the-relay", maxRetries: 0, organization: "org-of-the-client" });
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

const sha256 = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** The request's log line ("request completed/failed/cancelled"), once written (after the body ended). */
async function requestLine(requestId: string): Promise<Record<string, any>> {
  let found: Record<string, any> | undefined;
  await waitFor(() => (found = relay.logs.find((line) => line.request_id === requestId && /^request (completed|failed|cancelled)/.test(String(line.msg)))) !== undefined, { timeoutMs: 10_000 });
  return found!;
}

async function tokenMetric(kind: string, model: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("agent_relay_tokens_total{") && candidate.includes(`kind="${kind}"`) && candidate.includes(`model="${model}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-up-1", object: "chat.completion.chunk", created: 1_767_000_000, model: "gpt-upstream-2026-01-01", system_fingerprint: "fp_up", choices, ...extra })}\n\n`;
const logprobs = (token: string) => ({ content: [{ token, logprob: -0.25, bytes: [...new TextEncoder().encode(token)], top_logprobs: [{ token, logprob: -0.25, bytes: null }] }], refusal: null });

// Two choices with log probabilities, a usage chunk, a comment line and non-ASCII text: what a proxy that
// re-renders would change.
const frames = [
  chunk([
    { index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null },
    { index: 1, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null },
  ]),
  chunk([{ index: 0, delta: { content: "Caf\u00e9 \u{1F600}" }, logprobs: logprobs("Caf\u00e9 \u{1F600}"), finish_reason: null }]),
  chunk([{ index: 1, delta: { content: "Tea" }, logprobs: logprobs("Tea"), finish_reason: null }]),
  ": upstream keepalive\n\n",
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]),
  chunk([{ index: 1, delta: {}, logprobs: null, finish_reason: "length" }]),
  chunk([], { usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43, prompt_tokens_details: { cached_tokens: 8, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } }),
  "data: [DONE]\n\n",
];
const upstreamBytes = new TextEncoder().encode(frames.join(""));
// Pieces cut inside the emoji, inside "data:" and between the two newlines of a frame.
const emojiAt = upstreamBytes.indexOf(0xf0);
const pieces = [upstreamBytes.subarray(0, 3), upstreamBytes.subarray(3, emojiAt + 2), upstreamBytes.subarray(emojiAt + 2, 900), upstreamBytes.subarray(900)];
const streamHeaders = { "content-type": "text/event-stream; charset=utf-8", "x-request-id": "req_upstream_7", "openai-processing-ms": "42", "x-ratelimit-remaining-requests": "99" };

describe("OpenAI Chat passthrough", () => {
  test("a raw request: the body arrives byte for byte but the model, with the provider's credentials", async () => {
    primary.enqueue({ kind: "raw", headers: streamHeaders, chunks: pieces });
    // Odd spacing, key order and number spelling on purpose; fields the relay has never heard of.
    const clientBody = `{"messages":[{"role":"user","content":"caf\\u00e9?"}], "model" : "fast","stream":true,
 "n":2,"logprobs":true,"top_logprobs":1,"temperature":1.50,"max_tokens":64,
 "a_field_from_the_future":{"x":[1,2.50,"\\u00e9"]},"seed":7}`;
    const response = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer client-key-to-the-relay", "openai-organization": "org-of-the-client", "x-stainless-lang": "js" },
      body: clientBody,
    });
    const received = new Uint8Array(await response.arrayBuffer());
    expect(response.status).toBe(200);
    expect(sha256(received)).toBe(sha256(upstreamBytes));

    const [seen] = primary.completionRequests();
    expect(seen!.rawBody).toBe(clientBody.replace(`"model" : "fast"`, `"model" : "gpt-upstream"`));
    expect(seen!.path).toBe("/v1/chat/completions");
    expect(seen!.headers.authorization).toBe("Bearer sk-primary-provider-key");
    expect(seen!.headers["http-referer"]).toBe("https://example.org");
    expect(seen!.headers["x-title"]).toBe("relay-tests");
    expect(seen!.headers["x-stainless-lang"]).toBe("js");
    // The client's own identity at OpenAI stays with the relay.
    expect(seen!.headers["openai-organization"]).toBeUndefined();
    expect(JSON.stringify(seen!.headers)).not.toContain("client-key-to-the-relay");
  });

  test("the official SDK: n=2, logprobs and unknown fields reach the provider, the SSE bytes come back exactly, usage is counted", async () => {
    primary.enqueue({ kind: "raw", headers: streamHeaders, chunks: pieces });
    const params = {
      model: "fast",
      stream: true as const,
      n: 2,
      logprobs: true,
      top_logprobs: 1,
      max_tokens: 64,
      messages: [{ role: "user" as const, content: "Say hi twice" }],
      // Not in the SDK's types; sent as is, as a provider-specific field would be.
      provider: { order: ["a", "b"], allow_fallbacks: false },
    };
    const response = await openai.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsStreaming).asResponse();
    const received = new Uint8Array(await response.arrayBuffer());
    expect(sha256(received)).toBe(sha256(upstreamBytes));
    expect(response.headers.get("x-upstream-request-id")).toBe("req_upstream_7");
    expect(response.headers.get("openai-processing-ms")).toBe("42");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("99");
    expect(response.headers.get("x-agent-relay-provider")).toBe("primary");
    expect(response.headers.get("x-agent-relay-model")).toBe("gpt-upstream");
    const requestId = response.headers.get("x-request-id")!;
    expect(requestId).not.toBe("req_upstream_7");

    const [seen] = primary.completionRequests();
    const { model: _model, ...rest } = params;
    expect(seen!.body).toEqual({ ...rest, model: "gpt-upstream" });
    // No clamping, no max_completion_tokens rewriting, no stream_options added.
    expect(seen!.body.stream_options).toBeUndefined();

    const line = await requestLine(requestId);
    expect(line).toMatchObject({ msg: "request completed", status: 200, provider: "primary", provider_model: "gpt-upstream", input_tokens: 31, cache_read_tokens: 8, output_tokens: 12, finish_reason: "stop" });
    expect(await tokenMetric("output", "gpt-upstream-2026-01-01")).toBeGreaterThanOrEqual(12);
    expect(await tokenMetric("cache_read", "gpt-upstream-2026-01-01")).toBeGreaterThanOrEqual(8);
  });

  test("the SDK's own stream reader sees both choices and their log probabilities", async () => {
    primary.enqueue({ kind: "raw", headers: streamHeaders, chunks: pieces });
    const stream = await openai.chat.completions.create({ model: "fast", stream: true, n: 2, logprobs: true, top_logprobs: 1, messages: [{ role: "user", content: "hi" }] });
    const texts = ["", ""];
    const finishes: Array<string | null> = [null, null];
    let tokens = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const part of stream) {
      for (const choice of part.choices) {
        texts[choice.index] += choice.delta.content ?? "";
        finishes[choice.index] = choice.finish_reason ?? finishes[choice.index]!;
        tokens += choice.logprobs?.content?.length ?? 0;
      }
      if (part.usage) usage = part.usage;
    }
    expect(texts).toEqual(["Caf\u00e9 \u{1F600}", "Tea"]);
    expect(finishes).toEqual(["stop", "length"]);
    expect(tokens).toBe(2);
    expect(usage).toMatchObject({ prompt_tokens: 31, completion_tokens: 12 });
  });

  test("a non-streamed answer is the provider's JSON, byte for byte, and the inspector records it", async () => {
    const json = `{"id":"chatcmpl-up-2","object":"chat.completion","created":1767000000,"model":"gpt-upstream","choices":[{"index":0,"message":{"role":"assistant","content":"one"},"logprobs":null,"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":"two"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13},"service_tier":"default"}`;
    primary.enqueue({ kind: "raw", headers: { "content-type": "application/json", "x-request-id": "req_upstream_json" }, chunks: [json.slice(0, 50), json.slice(50)] });
    const { data, response } = await openai.chat.completions.create({ model: "fast", n: 2, messages: [{ role: "user", content: "count" }] }).withResponse();
    expect(data.choices.map((choice) => choice.message.content)).toEqual(["one", "two"]);
    expect((data as unknown as Record<string, unknown>).service_tier).toBe("default");
    expect(response.headers.get("x-upstream-request-id")).toBe("req_upstream_json");
    const requestId = response.headers.get("x-request-id")!;
    const line = await requestLine(requestId);
    expect(line).toMatchObject({ status: 200, input_tokens: 9, output_tokens: 4 });

    const recorded = (await waitFor(async () => {
      const answer = await fetch(`${relay.url}/inspector/api/requests/${requestId}`);
      return answer.ok ? ((await answer.json()) as any) : undefined;
    }, { timeoutMs: 10_000 }))!;
    expect(recorded).toMatchObject({ id: requestId, path: "/v1/chat/completions", provider: "primary", providerModel: "gpt-upstream", responseModel: "gpt-upstream", status: 200, stopReason: "stop" });
    expect(recorded.details.route).toMatchObject({ provider: "primary", model: "gpt-upstream" });
    expect(recorded.usage).toMatchObject({ outputTokens: 4 });
    expect(JSON.stringify(recorded.bodies?.request)).toContain("count");
  });

  test("an upstream 401 (the provider's key) becomes the relay's 502 naming the provider", async () => {
    primary.enqueue({ kind: "error", status: 401, message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" });
    // Failed targets cool down for every request: each error test uses a target of its own.
    const error = await openai.chat.completions.create({ model: "primary/gpt-err-401", messages: [{ role: "user", content: "hi" }] }).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: "server_error", code: "provider_key_rejected" });
    expect(error.message).toContain('Provider "primary" rejected the relay\'s API key');
  });

  test("other upstream errors reach the client as the provider sent them", async () => {
    primary.enqueue({ kind: "error", status: 400, message: "Invalid value for 'n': too many.", type: "invalid_request_error", param: "n", code: "invalid_value" });
    const response = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer client-key-to-the-relay" },
      body: `{"model":"primary/gpt-err-400","n":200,"messages":[{"role":"user","content":"hi"}]}`,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(JSON.stringify({ error: { message: "Invalid value for 'n': too many.", type: "invalid_request_error", param: "n", code: "invalid_value" } }));
    const line = await requestLine(response.headers.get("x-request-id")!);
    expect(line).toMatchObject({ msg: "request failed", status: 400, error_kind: "invalid_request" });
  });

  test("an error object inside a 200 stream is forwarded and recorded as a failure", async () => {
    primary.enqueue({ kind: "stream-error", chunks: ["partial"], message: "Upstream provider overloaded", code: 503 });
    const response = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"model":"fast","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain(`data: {"error":{"message":"Upstream provider overloaded","code":503}}`);
    const line = await requestLine(response.headers.get("x-request-id")!);
    expect(line).toMatchObject({ msg: "request failed", status: 200, error_in_stream: true });
    expect(String(line.error)).toContain("Upstream provider overloaded");
  });

  test("a 429 with retry-after falls through to the next target, which is then used while the first cools down", async () => {
    primary.enqueue({ kind: "error", status: 429, message: "Rate limit reached", type: "requests", retryAfterSeconds: 30 });
    secondary.enqueue({ kind: "text", chunks: ["from the second"] }, { kind: "text", chunks: ["again"] });
    const { data, response } = await openai.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }], n: 1 }).withResponse();
    expect(data.choices[0]!.message.content).toBe("from the second");
    expect(response.headers.get("x-agent-relay-provider")).toBe("secondary");
    expect(response.headers.get("x-agent-relay-fallbacks")).toContain("primary/gpt-first: 429");
    expect(primary.completionRequests()[0]!.body.model).toBe("gpt-first");
    expect(secondary.completionRequests()[0]!.body.model).toBe("gpt-second");
    expect(secondary.completionRequests()[0]!.headers.authorization).toBe("Bearer sk-secondary-provider-key");

    const again = await openai.chat.completions.create({ model: "chain", messages: [{ role: "user", content: "hi" }] });
    expect(again.choices[0]!.message.content).toBe("again");
    expect(primary.completionRequests()).toHaveLength(1);
  });

  test("a client that disconnects mid-stream aborts the upstream request at once", async () => {
    primary.enqueue({ kind: "stall", chunks: ["first words"] });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create({ model: "fast", stream: true, messages: [{ role: "user", content: "talk" }] }, { signal: controller.signal });
    for await (const part of stream) {
      if (part.choices[0]?.delta.content) break;
    }
    controller.abort();
    const [sent] = primary.completionRequests();
    await Promise.race([sent!.aborted, Bun.sleep(10_000).then(() => Promise.reject(new Error("the upstream never saw the disconnect")))]);
    expect(sent!.wasAborted).toBe(true);
  });

  test("a provider silent for longer than its timeout mid-stream: the upstream is aborted and the request recorded as timed out", async () => {
    primary.enqueue({ kind: "stall", chunks: ["and then"] });
    const stream = await openai.chat.completions.create({ model: "quiet/gpt-test", stream: true, messages: [{ role: "user", content: "talk" }] }).withResponse();
    const requestId = stream.response.headers.get("x-request-id")!;
    let text = "";
    const failure = await (async () => {
      for await (const part of stream.data) text += part.choices[0]?.delta.content ?? "";
    })().then(() => undefined, (error) => error);
    expect(text).toBe("and then");
    expect(failure).toBeDefined();
    const [sent] = primary.completionRequests();
    await Promise.race([sent!.aborted, Bun.sleep(10_000).then(() => Promise.reject(new Error("the upstream was never aborted")))]);
    const line = await requestLine(requestId);
    expect(line).toMatchObject({ msg: "request failed", error_kind: "timeout" });
  });

  test("Azure: the api-key header and api-version query, the body otherwise untouched", async () => {
    secondary.enqueue({ kind: "text", chunks: ["azure"] });
    const completion = await openai.chat.completions.create({ model: "azure/gpt-deploy", messages: [{ role: "user", content: "hi" }], max_tokens: 5 });
    expect(completion.choices[0]!.message.content).toBe("azure");
    const [seen] = secondary.completionRequests();
    expect(seen!.path).toBe("/v1/deployments/gpt-deploy/chat/completions?api-version=2024-12-01-preview");
    expect(seen!.headers["api-key"]).toBe("azure-provider-key");
    expect(seen!.headers.authorization).toBeUndefined();
    expect(seen!.body).toEqual({ model: "gpt-deploy", messages: [{ role: "user", content: "hi" }], max_tokens: 5 });
  });
});

describe("requests that go through the hub instead", () => {
  test("a route mixing provider types is translated, and n > 1 is a clear 400 naming n", async () => {
    const error = await openai.chat.completions.create({ model: "mixed", n: 2, messages: [{ role: "user", content: "hi" }] }).catch((caught) => caught);
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ type: "invalid_request_error", param: "n" });
    expect(primary.completionRequests()).toHaveLength(0);
  });

  test("a provider configured passthrough: false is translated (stream_options added, n refused)", async () => {
    secondary.enqueue({ kind: "text", chunks: ["translated"] });
    const completion = await openai.chat.completions.create({ model: "translated/gpt-test", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]!.message.content).toBe("translated");
    expect(secondary.completionRequests()[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const error = await openai.chat.completions.create({ model: "translated/gpt-test", n: 3, messages: [{ role: "user", content: "hi" }] }).catch((caught) => caught);
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ param: "n" });
  });
});
