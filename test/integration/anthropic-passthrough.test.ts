/**
 * Anthropic Messages clients through a `type: anthropic` provider: the request arrives upstream unchanged but
 * for the model and the credentials, the answer reaches the client byte for byte, and the relay's log line
 * and metrics still show the upstream's real usage.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startRoutedRelay } from "../support/backend-relay.ts";
import { startFakeUpstream } from "../support/fake-anthropic-upstream.ts";

const upstream = startFakeUpstream();
const relay = startRoutedRelay(`
providers:
  anthropic:
    type: anthropic
    base_url: ${upstream.url}
    api_key: \${PROVIDER_KEY}
  gateway:
    type: anthropic
    base_url: ${upstream.url}/v1
    auth_token: gateway-token
    headers: { x-team: platform }
models:
  sonnet: anthropic/claude-sonnet-4-5-20250929
  chain: [gateway/claude-opus-4-5, anthropic/claude-sonnet-4-5-20250929]
default: anthropic
`, { PROVIDER_KEY: "sk-ant-provider-key" });

afterAll(async () => {
  await relay.stop();
  await upstream.stop();
});
beforeEach(() => upstream.reset());

const sha256 = (bytes: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

// A request with everything a proxy tends to lose: unknown fields, cache_control, a signed thinking block,
// server tools, MCP servers, container, metadata, service tier; odd spacing and key order on purpose.
const clientBody = `{"max_tokens":  2048 ,"model":"sonnet","stream":true,
 "system":[{"type":"text","text":"Be terse.","cache_control":{"type":"ephemeral","ttl":"1h"}}],
 "messages":[{"role":"user","content":"What is 2+2?"},
   {"role":"assistant","content":[{"type":"thinking","thinking":"Simple.","signature":"EqQBCkYIBRgCKkBsig=="},{"type":"text","text":"4"}]},
   {"role":"user","content":[{"type":"text","text":"Search it.","cache_control":{"type":"ephemeral"}}]}],
 "thinking":{"type":"enabled","budget_tokens":1024},
 "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}],
 "mcp_servers":[{"type":"url","url":"https://mcp.example.org/sse","name":"docs"}],
 "container":"container_abc","metadata":{"user_id":"user-7"},"service_tier":"auto",
 "a_field_from_the_future":{"x":[1,2.50,"\\u00e9"]}}`;

const frames = [
  `event: message_start\ndata: {"type":"message_start","message":{"id":"msg_up_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":321,"cache_creation_input_tokens":50,"cache_read_input_tokens":4000,"output_tokens":1,"service_tier":"standard"}}}\n\n`,
  `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n`,
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me search."}}\n\n`,
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"ErUBCkYIBxgCIkD/+sig=="}}\n\n`,
  `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`,
  `event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}\n\n`,
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"query\\":\\"2+2\\"}"}}\n\n`,
  `event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n`,
  `event: ping\ndata: {"type": "ping"}\n\n`,
  `event: content_block_start\ndata: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":"","citations":null}}\n\n`,
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"It is 4 \u2014 caf\u00e9 \u{1F600}."}}\n\n`,
  `event: content_block_stop\ndata: {"type":"content_block_stop","index":2}\n\n`,
  `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":77,"server_tool_use":{"web_search_requests":1}}}\n\n`,
  `event: message_stop\ndata: {"type":"message_stop"}\n\n`,
];
const upstreamBytes = new TextEncoder().encode(frames.join(""));
// Chunks cut at awkward places: inside a multi-byte character, inside "event:", between \n and \n.
const chunks = [upstreamBytes.subarray(0, 7), upstreamBytes.subarray(7, 500), upstreamBytes.subarray(500, 1301), upstreamBytes.subarray(1301)];

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${relay.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "client-key-to-the-relay", ...headers },
    body,
  });
}

describe("Anthropic passthrough", () => {
  test("a streamed answer: request unchanged but model and key, answer byte for byte, usage in log and metrics", async () => {
    upstream.enqueue({ kind: "raw", headers: { "content-type": "text/event-stream; charset=utf-8", "request-id": "req_upstream_42", "anthropic-organization-id": "org-1" }, chunks });
    const response = await post("/v1/messages?beta=true", clientBody, { "anthropic-beta": "interleaved-thinking-2025-05-14,mcp-client-2025-04-04", "x-stainless-lang": "js" });
    const received = new Uint8Array(await response.arrayBuffer());

    expect(response.status).toBe(200);
    expect(sha256(received)).toBe(sha256(upstreamBytes));
    expect(response.headers.get("request-id")).toBe("req_upstream_42");
    expect(response.headers.get("anthropic-organization-id")).toBe("org-1");
    expect(response.headers.get("x-request-id")).toBeTruthy();

    const [seen] = upstream.messageRequests();
    expect(seen!.path).toBe("/v1/messages?beta=true");
    expect(seen!.rawBody).toBe(clientBody.replace('"model":"sonnet"', '"model":"claude-sonnet-4-5-20250929"'));
    expect(seen!.headers["x-api-key"]).toBe("sk-ant-provider-key");
    expect(seen!.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14,mcp-client-2025-04-04");
    expect(seen!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen!.headers["x-stainless-lang"]).toBe("js");

    const [line] = await relay.waitForRequestLines(1);
    expect(line).toMatchObject({ msg: "request completed", status: 200, model: "claude-sonnet-4-5-20250929", input_tokens: 321 + 50 + 4000, cache_read_tokens: 4000, output_tokens: 77, finish_reason: "end_turn" });
    expect(relay.metrics.tokens.get({ kind: "cache_read", model: "claude-sonnet-4-5-20250929" })).toBeGreaterThanOrEqual(4000);
  });

  test("a non-streamed answer is the upstream's JSON, byte for byte", async () => {
    const json = `{"id":"msg_up_2","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}`;
    upstream.enqueue({ kind: "raw", headers: { "content-type": "application/json", "request-id": "req_up_json" }, chunks: [json] });
    const response = await post("/v1/messages", `{"model":"sonnet","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`);
    expect(await response.text()).toBe(json);
    expect(response.headers.get("request-id")).toBe("req_up_json");
    const [line] = await relay.waitForRequestLines(1);
    expect(line).toMatchObject({ status: 200, input_tokens: 5, output_tokens: 2 });
  });

  test("the official SDK streams through it, and the thinking signature round-trips", async () => {
    upstream.enqueue({ kind: "raw", headers: { "content-type": "text/event-stream" }, chunks });
    const client = new Anthropic({ baseURL: relay.url, apiKey: "client-key-to-the-relay" });
    const message = await client.messages.stream({ model: "sonnet", max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    const thinking = message.content.find((block) => block.type === "thinking");
    expect(thinking).toMatchObject({ thinking: "Let me search.", signature: "ErUBCkYIBxgCIkD/+sig==" });
    expect(message.content.at(-1)).toMatchObject({ type: "text", text: "It is 4 \u2014 caf\u00e9 \u{1F600}." });
    expect(message.usage).toMatchObject({ input_tokens: 321, cache_read_input_tokens: 4000, output_tokens: 77 });
  });

  test("an upstream 401 (the provider's key) becomes the relay's 502 naming the provider", async () => {
    upstream.enqueue({ kind: "error", status: 401, errorType: "authentication_error", message: "invalid x-api-key" });
    // Failed targets cool down for every request: each error test uses a target of its own.
    const response = await post("/v1/messages", `{"model":"anthropic/claude-err-401","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`);
    expect(response.status).toBe(502);
    const body = (await response.json()) as any;
    expect(body.type).toBe("error");
    expect(body.error.type).not.toBe("authentication_error");
    expect(body.error.message).toContain('provider "anthropic"');
  });

  test("other upstream errors reach the client as the upstream sent them", async () => {
    upstream.enqueue({ kind: "error", status: 429, errorType: "rate_limit_error", message: "slow down", retryAfterSeconds: 7 });
    const response = await post("/v1/messages", `{"model":"anthropic/claude-err-429","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("request-id")).toBe("req_fake_err");
    expect(await response.json()).toEqual({ type: "error", error: { type: "rate_limit_error", message: "slow down" } });
    const [line] = await relay.waitForRequestLines(1);
    expect(line).toMatchObject({ msg: "request failed", status: 429, error_kind: "rate_limit" });
  });

  test("an error event inside a 200 stream is forwarded and recorded as a failure", async () => {
    upstream.enqueue({ kind: "sse-error", chunks: ["partial"], errorType: "overloaded_error", message: "Overloaded" });
    const response = await post("/v1/messages", `{"model":"sonnet","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain(`event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`);
    const [line] = await relay.waitForRequestLines(1);
    expect(line).toMatchObject({ msg: "request failed", status: 200, error_in_stream: true, error_kind: "overloaded" });
  });

  test("a chain falls back when its first target is overloaded before answering; headers say where it went", async () => {
    upstream.enqueue(
      { kind: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
      { kind: "raw", headers: { "content-type": "application/json" }, chunks: [`{"id":"m","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`] },
    );
    const response = await post("/v1/messages", `{"model":"chain","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-agent-relay-provider")).toBe("anthropic");
    expect(response.headers.get("x-agent-relay-fallbacks")).toContain("gateway/claude-opus-4-5: 529 overloaded");
    const [first, second] = upstream.messageRequests();
    expect(first!.headers.authorization).toBe("Bearer gateway-token");
    expect(first!.headers["x-team"]).toBe("platform");
    expect(first!.headers["x-api-key"]).toBeUndefined();
    expect(JSON.parse(first!.rawBody).model).toBe("claude-opus-4-5");
    expect(JSON.parse(second!.rawBody).model).toBe("claude-sonnet-4-5-20250929");
  });

  test("count_tokens is forwarded too", async () => {
    upstream.enqueue({ kind: "raw", headers: { "content-type": "application/json" }, chunks: [`{"input_tokens":1234}`] });
    const response = await post("/v1/messages/count_tokens", `{"model":"sonnet","messages":[{"role":"user","content":"hi"}]}`);
    expect(await response.json()).toEqual({ input_tokens: 1234 });
    expect(upstream.messageRequests()[0]!.path).toBe("/v1/messages/count_tokens");
  });
});

// Waits for log lines of this test only.
beforeEach(() => {
  relay.logs.length = 0;
});

describe("OpenAI clients to an Anthropic provider (through the hub)", () => {
  test("chat with tools: the upstream gets a Messages request, the client gets tool_calls and real usage", async () => {
    upstream.enqueue({ kind: "tool-use", text: "Checking.", calls: [{ id: "toolu_42", name: "get_weather", input: { city: "Oslo" } }], usage: { input_tokens: 40, output_tokens: 9, cache_read_input_tokens: 100 } });
    const openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-key" });
    const completion = await openai.chat.completions.create({
      model: "sonnet",
      messages: [{ role: "system", content: "You are terse." }, { role: "user", content: "Weather in Oslo?" }],
      tools: [{ type: "function", function: { name: "get_weather", description: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      tool_choice: "required",
      temperature: 1.5,
    });
    const message = completion.choices[0]!.message;
    expect(message.tool_calls?.[0]).toMatchObject({ id: "toolu_42", function: { name: "get_weather" } });
    expect(JSON.parse((message.tool_calls![0] as any).function.arguments)).toEqual({ city: "Oslo" });
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(100);

    const [seen] = upstream.messageRequests();
    expect(seen!.headers["x-api-key"]).toBe("sk-ant-provider-key");
    expect(seen!.body).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      stream: true,
      system: "You are terse.",
      temperature: 1,
      tool_choice: { type: "any" },
      tools: [{ name: "get_weather", description: "weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [{ role: "user", content: [{ type: "text", text: "Weather in Oslo?" }] }],
    });
  });

  test("the Responses API streams text through it", async () => {
    upstream.enqueue({ kind: "text", chunks: ["Hel", "lo"] });
    const openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "client-key" });
    const stream = await openai.responses.create({ model: "sonnet", input: "hi", stream: true });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    expect(text).toBe("Hello");
  });
});
