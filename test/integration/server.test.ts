/**
 * The HTTP surface around the protocols: probes, health, metrics, models, request ids, CORS, keys,
 * the Host guard, the concurrency queue, keepalives and idle timeouts. Uses the fast fake CLI.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay({ claudeBin: fakeClaudeBin });
});
afterAll(() => relay.close());

const chat = (url: string, text: string, init: RequestInit = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: text }], ...JSON.parse((init.body as string) ?? "{}") }),
  });

/** Reads a streaming response: `arrived` resolves once `marker` came, `body` with the whole text at the end. */
function readStream(response: Response, marker: string): { arrived: Promise<void>; body: Promise<string> } {
  const arrived = Promise.withResolvers<void>();
  const body = (async () => {
    let text = "";
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes(marker)) arrived.resolve();
      }
    } finally {
      arrived.reject(new Error(`the stream ended without ${JSON.stringify(marker)}: ${text}`));
    }
    return text;
  })();
  return { arrived: arrived.promise, body };
}

describe("probes, health and metrics", () => {
  test("HEAD / and GET / answer 200 (Claude Code probes HEAD / at start)", async () => {
    expect((await fetch(relay.url, { method: "HEAD" })).status).toBe(200);
    const root = await fetch(relay.url);
    expect(root.status).toBe(200);
    expect(((await root.json()) as { name: string }).name).toBe("agent-relay");
  });

  test("/health reports status, version, pid, uptime, each provider (the CLI) and the load", async () => {
    const health = (await (await fetch(`${relay.url}/health`)).json()) as Record<string, any>;
    expect(health).toMatchObject({ status: "ok", pid: process.pid, requests: { active: 0, queued: 0 }, cli_processes: expect.any(Number) });
    expect(health.providers.claude).toMatchObject({ type: "claude-cli", ok: true, path: relay.claudeBin, version: "2.1.197" });
    expect(typeof health.version).toBe("string");
    expect(Date.parse(health.started_at)).toBeLessThanOrEqual(Date.now());
    expect(health.uptime_seconds).toBeGreaterThanOrEqual(0);
  });

  test("/metrics is Prometheus text with requests, durations, time to first token and tokens; /v1/metrics is JSON", async () => {
    await chat(relay.url, "hello");
    const response = await fetch(`${relay.url}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain('agent_relay_requests_total{route="/v1/chat/completions",status="200",model="claude-fake-1",provider="claude",provider_model="sonnet"}');
    expect(text).toMatch(/agent_relay_request_duration_seconds_bucket\{route="\/v1\/chat\/completions",le="\+Inf"\} \d+/);
    expect(text).toMatch(/agent_relay_time_to_first_token_seconds_count\{route="\/v1\/chat\/completions"\} \d+/);
    expect(text).toMatch(/agent_relay_tokens_total\{kind="output",model="claude-fake-1"\} \d+/);
    expect(text).toMatch(/agent_relay_active_requests \d+/);
    expect(text).toContain("agent_relay_queued_requests 0");
    expect(text.endsWith("\n")).toBe(true);
    const json = (await (await fetch(`${relay.url}/v1/metrics`)).json()) as Record<string, unknown>;
    expect(json).toHaveProperty("agent_relay_requests_total");
  });

  test("/v1/models lists aliases and full ids, in OpenAI's shape or Anthropic's when anthropic-version is sent", async () => {
    const openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x" });
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["opus", "sonnet", "haiku", "claude-opus-4-8", "claude-sonnet-5", "claude-haiku-4-5-20251001"]));
    expect(new Set(ids).size).toBe(ids.length);

    const anthropic = new Anthropic({ baseURL: relay.url, apiKey: "x" });
    const page = await anthropic.models.list();
    expect(page.data.map((model) => model.id)).toEqual(expect.arrayContaining(["sonnet", "claude-sonnet-5"]));
    expect(page.data[0]).toMatchObject({ type: "model" });
  });

  test("every endpoint is also served without /v1", async () => {
    expect((await fetch(`${relay.url}/models`)).status).toBe(200);
    const response = await fetch(`${relay.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    const count = await fetch(`${relay.url}/messages/count_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  test("unknown routes are a 404 in the caller's protocol", async () => {
    const openAIStyle = await fetch(`${relay.url}/v1/nope`);
    expect(openAIStyle.status).toBe(404);
    expect(((await openAIStyle.json()) as any).error.type).toBe("not_found_error");
    const anthropicStyle = await fetch(`${relay.url}/v1/nope`, { headers: { "anthropic-version": "2023-06-01" } });
    expect(((await anthropicStyle.json()) as any)).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});

describe("request ids, logs and CORS", () => {
  test("X-Request-Id is echoed when given, generated otherwise, and in the request's log lines", async () => {
    const given = await chat(relay.url, "hi", { headers: { "x-request-id": "trace-abc-123" } });
    expect(given.headers.get("x-request-id")).toBe("trace-abc-123");
    // Every response says where it went; without a routing file the claude CLI serves the client's model.
    expect(given.headers.get("x-agent-relay-provider")).toBe("claude");
    expect(given.headers.get("x-agent-relay-model")).toBe("sonnet");
    expect(given.headers.get("x-agent-relay-fallbacks")).toBeNull();
    await given.text();
    const line = relay.logs.find((entry) => entry.request_id === "trace-abc-123" && entry.msg === "request completed");
    expect(line).toMatchObject({ method: "POST", path: "/v1/chat/completions", status: 200, model: "claude-fake-1", provider: "claude", provider_model: "sonnet", output_tokens: 9 });
    expect(typeof line!.duration_ms).toBe("number");
    expect(typeof line!.ttft_ms).toBe("number");

    const generated = await fetch(`${relay.url}/health`);
    expect(generated.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("CORS allows loopback origins without credentials and does not reflect other origins", async () => {
    const local = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });
    expect(local.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(local.headers.get("access-control-allow-credentials")).not.toBe("true");

    const evil = await fetch(`${relay.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a request whose Host is not loopback is refused when no key is set (DNS rebinding)", async () => {
    const response = await fetch(`${relay.url}/v1/models`, { headers: { host: "attacker.example:18082" } });
    expect(response.status).toBe(403);
  });
});

describe("API key", () => {
  test("with --api-key, requests need the key as a bearer token or x-api-key; /health stays open", async () => {
    const keyed = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--api-key", "s3cret"] });
    try {
      const missing = await new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "wrong", maxRetries: 0 }).chat.completions
        .create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] })
        .catch((e) => e);
      expect(missing).toBeInstanceOf(OpenAI.AuthenticationError);

      const viaBearer = await new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "s3cret", maxRetries: 0 }).chat.completions.create({
        model: "sonnet",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(viaBearer.choices[0].message.content).toBe("Hello from the fake CLI");

      const viaHeader = await new Anthropic({ baseURL: keyed.url, apiKey: "s3cret", maxRetries: 0 }).messages.create({
        model: "sonnet",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(viaHeader.content).toMatchObject([{ type: "text", text: "Hello from the fake CLI" }]);

      const wrongAnthropic = await new Anthropic({ baseURL: keyed.url, apiKey: "nope", maxRetries: 0 }).messages
        .create({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
        .catch((e) => e);
      expect(wrongAnthropic).toBeInstanceOf(Anthropic.AuthenticationError);

      expect((await fetch(`${keyed.url}/health`)).status).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});

describe("concurrency", () => {
  test("requests beyond the limit wait in the queue; only a full queue gets 429 with retry-after", async () => {
    const limited = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--max-concurrent", "1", "--max-queue", "1"] });
    try {
      const load = async () => ((await (await fetch(`${limited.url}/health`)).json()) as any).requests;
      // The first answer takes 2 s once its CLI runs: time enough to queue the second and refuse the third.
      const first = chat(limited.url, "FAKE:slow");
      await waitFor(async () => (await load()).active === 1, { what: "the first request to hold the slot" });
      const second = chat(limited.url, "FAKE:slow");
      await waitFor(async () => (await load()).queued === 1, { what: "the second request to wait in the queue" });
      expect(await load()).toEqual({ active: 1, queued: 1 });
      const third = await chat(limited.url, "hi", { headers: { "anthropic-version": "2023-06-01" } });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(((await third.json()) as any).error.type).toBe("rate_limit_error");

      const [firstResponse, secondResponse] = await Promise.all([first, second]);
      expect(firstResponse.status).toBe(200);
      expect(secondResponse.status).toBe(200);
      expect(((await secondResponse.json()) as any).choices[0].message.content).toBe("Hello slow world from the fake CLI");
    } finally {
      await limited.close();
    }
  });
});

describe("quiet streams", () => {
  test("keepalives flow while the CLI is quiet: SSE comments for OpenAI, ping events for Anthropic", async () => {
    const chatty = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--keepalive-interval", "500ms"] });
    try {
      const openAIStream = await (await chat(chatty.url, "FAKE:pause", { body: JSON.stringify({ stream: true }) })).text();
      expect(openAIStream).toContain(": keepalive\n\n");
      expect(openAIStream.trimEnd().endsWith("data: [DONE]")).toBe(true);

      const anthropicStream = await (
        await fetch(`${chatty.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "sonnet", max_tokens: 10, stream: true, messages: [{ role: "user", content: "FAKE:pause" }] }),
        })
      ).text();
      expect(anthropicStream.match(/event: ping/g)!.length).toBeGreaterThanOrEqual(3);
    } finally {
      await chatty.close();
    }
  });

  test("Bun's idle timeout does not cut quiet streams or slow non-streaming answers", async () => {
    // Connections idle for 1 s are closed; the CLI stays silent for 2.5 s in the middle of the answer.
    const strict = await startTestRelay({ claudeBin: fakeClaudeBin, serverIdleTimeoutSeconds: 1, args: ["--keepalive-interval", "10s"] });
    try {
      const streamed = await (await chat(strict.url, "FAKE:pause", { body: JSON.stringify({ stream: true }) })).text();
      expect(streamed).toContain("from the fake CLI");
      expect(streamed.trimEnd().endsWith("data: [DONE]")).toBe(true);
      const whole = await chat(strict.url, "FAKE:pause");
      expect(whole.status).toBe(200);
      expect(((await whole.json()) as any).choices[0].message.content).toBe("Hello from the fake CLI");
    } finally {
      await strict.close();
    }
  });
});

describe("shutdown", () => {
  test("running streams finish within the grace period, new requests are refused, no CLI is left", async () => {
    // A grace period far longer than the 2 s answer, so the stream surely finishes within it on a busy machine.
    const stopping = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--shutdown-grace", "60s"] });
    const running = readStream(await chat(stopping.url, "FAKE:slow", { body: JSON.stringify({ stream: true }) }), "Hello");
    await running.arrived;
    // Shutting down closes the listener at once.
    const shutdown = stopping.close();
    const refused = await chat(stopping.url, "hi").catch((error) => error);
    expect(refused).toBeInstanceOf(Error);
    const body = await running.body;
    // The whole answer: its last delta and the end.
    expect(body).toContain('"content":" from the fake CLI"');
    expect(body).toContain("data: [DONE]");
    await shutdown;
    expect(stopping.aliveCliPids()).toEqual([]);
  });

  test("streams still running after the grace period are ended and their CLI is killed", async () => {
    const stopping = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--shutdown-grace", "200ms", "--kill-grace", "200ms"] });
    const running = readStream(await chat(stopping.url, "FAKE:hang-mid-stream", { body: JSON.stringify({ stream: true }) }), "Hello");
    await running.arrived;
    const startedAt = Date.now();
    await stopping.close();
    // The hung CLI would sleep for an hour: shutdown took the grace periods, plus whatever a busy machine adds.
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    await running.body.catch(() => "");
    // The hung one and the warm ones.
    expect(stopping.cliPids().length).toBeGreaterThanOrEqual(1);
    expect(stopping.aliveCliPids()).toEqual([]);
  });
});
