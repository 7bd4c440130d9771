/**
 * A busy machine and bad clients: clients that stop reading, CLIs that flood or start slowly, shutdown in
 * the middle of a stream, a broken response store, model names that would blow up the metrics. Uses the
 * fake CLI for faults (test/support/fake-claude.sh).
 */
import Anthropic from "@anthropic-ai/sdk";
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { isAlive } from "../support/processes.ts";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";

let directory: string;
let relay: TestRelay;
const pidDirectory = () => join(directory, "pids");

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "agent-relay-busy-"));
  mkdirSync(pidDirectory());
  relay = await startTestRelay({
    claudeBin: fakeClaudeBin,
    // The fake CLI answers one turn and never acknowledges `/clear`: with recycling each finished process
    // would hold its slot for the clear's timeout. These tests are about one request's process.
    args: ["--no-recycle", "--warm-processes", "0", "--conversation-idle-timeout", "0", "--write-timeout", "1s", "--max-line-size", "1MB", "--idle-timeout", "1s", "--kill-grace", "300ms"],
    env: { FAKE_CLAUDE_PID_DIR: pidDirectory() },
  });
});
afterAll(async () => {
  await relay?.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Waits for a condition instead of sleeping a fixed time; generous, since the machine may be busy. */
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(25);
  }
}

const fakePidsAlive = () => readdirSync(pidDirectory()).map(Number).filter(isAlive);
const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as Record<string, any>;
const chatBody = (text: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: text }], ...extra });

describe("clients that stop reading", () => {
  test("a stream whose client reads nothing is cancelled after --write-timeout: CLI stopped, slot freed, logged", async () => {
    const { hostname, port } = new URL(relay.url);
    const body = chatBody("FAKE:flood", { stream: true });
    let received = 0;
    const socket = await Bun.connect({
      hostname,
      port: Number(port),
      socket: {
        data(_socket, data) {
          received += data.byteLength;
        },
      },
    });
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    // Wait for the answer to start, then stop reading: the kernel buffers fill and the relay can write no more.
    await waitFor(() => received > 0);
    socket.pause();
    await waitFor(() => relay.logs.some((line) => line.msg === "the client stopped reading the stream; request cancelled"));
    await waitFor(() => fakePidsAlive().length === 0);
    await waitFor(async () => (await health(relay.url)).requests.active === 0);
    const line = relay.logs.find((entry) => entry.msg === "the client stopped reading the stream; request cancelled")!;
    expect(line.write_timeout_ms).toBe(1000);
    socket.end();
  });
});

describe("CLIs that misbehave", () => {
  test("an endless line without a newline fails the request with a clear error (--max-line-size) and ends the CLI", async () => {
    const response = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chatBody("FAKE:endless-line") });
    expect(response.status).toBe(502);
    const body = (await response.json()) as any;
    expect(body.error.message).toContain("--max-line-size");
    expect(body.error.message).toContain("1 MB");
    await waitFor(() => fakePidsAlive().length === 0);
  });

  test("the idle timeout does not count the CLI's start-up", async () => {
    // A CLI that takes 2 s to start, with a 1 s idle timeout: the start is not silence.
    const slowStarter = join(directory, "slow-start-claude.sh");
    writeFileSync(slowStarter, `#!/bin/sh\ncase "$1" in --version) exec '${fakeClaudeBin}' "$@" ;; esac\nsleep 2\nexec '${fakeClaudeBin}' "$@"\n`);
    chmodSync(slowStarter, 0o755);
    const slow = await startTestRelay({ claudeBin: slowStarter, args: ["--warm-processes", "0", "--idle-timeout", "1s"], upstream: relay.upstream });
    try {
      const response = await fetch(`${slow.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chatBody("hello") });
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).choices[0].message.content).toBe("Hello from the fake CLI");
    } finally {
      await slow.close();
    }
  });

  test("silence after the start is a 504 that names --idle-timeout", async () => {
    const response = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chatBody("FAKE:hang-mid-stream") });
    expect(response.status).toBe(504);
    expect(((await response.json()) as any).error.message).toContain("--idle-timeout");
  });
});

describe("shutdown", () => {
  test("streams cut by shutdown end with an in-band error saying the relay is shutting down, in each protocol", async () => {
    const stopping = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0", "--shutdown-grace", "200ms", "--kill-grace", "200ms"] });
    const openai = fetch(`${stopping.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chatBody("FAKE:hang-mid-stream", { stream: true }) });
    const anthropic = fetch(`${stopping.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "sonnet", max_tokens: 10, stream: true, messages: [{ role: "user", content: "FAKE:hang-mid-stream" }] }),
    });
    const [openaiResponse, anthropicResponse] = await Promise.all([openai, anthropic]);
    expect(openaiResponse.status).toBe(200);
    expect(anthropicResponse.status).toBe(200);
    const texts = Promise.all([openaiResponse.text(), anthropicResponse.text()]);
    await stopping.close();
    const [openaiText, anthropicText] = await texts;
    expect(openaiText).toContain("Hello");
    expect(openaiText).toMatch(/data: \{"error":\{"message":"agent-relay is shutting down/);
    expect(anthropicText).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"agent-relay is shutting down/);
  });
});

describe("a broken response store", () => {
  test("a corrupt database: the Responses API answers 503 naming the file, the rest works, /health is degraded", async () => {
    const dataDir = join(directory, "corrupt-data");
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, "agent-relay.sqlite");
    writeFileSync(file, "not a database ".repeat(500));
    const broken = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0", "--data-dir", dataDir], upstream: relay.upstream });
    try {
      const client = new OpenAI({ baseURL: `${broken.url}/v1`, apiKey: "x", maxRetries: 0 });
      const error = await client.responses.create({ model: "sonnet", input: "hi" }).catch((caught) => caught);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.status).toBe(503);
      expect(error.message).toContain(file);
      expect(error.message).toMatch(/move the file .* aside and restart/);
      expect((await client.responses.retrieve("resp_x").catch((caught) => caught)).status).toBe(503);
      const chat = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] });
      expect(chat.choices[0].message.content).toBe("Hello from the fake CLI");
      const state = await health(broken.url);
      expect(state.status).toBe("degraded");
      expect(state.reason).toContain(file);
    } finally {
      await broken.close();
    }
  });

  test("a store write that fails is an error to the client that asked to store, streaming or not", async () => {
    const dataDir = join(directory, "failing-writes");
    const failing = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0", "--data-dir", dataDir], upstream: relay.upstream });
    try {
      // Another process breaks the database under the running relay.
      const database = new Database(join(dataDir, "agent-relay.sqlite"));
      database.run("DROP TABLE responses");
      database.close();
      const client = new OpenAI({ baseURL: `${failing.url}/v1`, apiKey: "x", maxRetries: 0 });
      const error = await client.responses.create({ model: "sonnet", input: "hi" }).catch((caught) => caught);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.status).toBe(503);
      expect(error.error.code).toBe("response_store_unavailable");

      const events: string[] = [];
      const streamed = await (async () => {
        const stream = await client.responses.create({ model: "sonnet", input: "hi", stream: true });
        for await (const event of stream) events.push(event.type);
      })().catch((caught) => caught);
      expect(streamed).toBeInstanceOf(OpenAI.APIError);
      expect(streamed.message).toContain("response store is unavailable".replace("response store", "Responses API store"));
      expect(events).toContain("response.failed");
      expect(events).not.toContain("response.completed");

      // Without store, nothing needs the database.
      expect((await client.responses.create({ model: "sonnet", input: "hi", store: false })).status).toBe("completed");
    } finally {
      await failing.close();
    }
  });
});

describe("metrics stay bounded", () => {
  test("model names a client makes up get a fixed budget of metric series; the rest count as 'other'", async () => {
    const names = Array.from({ length: 30 }, (_, index) => `made-up-model-${index}-${crypto.randomUUID()}`);
    for (const name of names) {
      const response = await fetch(`${relay.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: name, messages: [{ role: "user", content: "hi" }] }) });
      await response.arrayBuffer();
    }
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    const requestSeries = text.split("\n").filter((line) => line.startsWith("agent_relay_requests_total{"));
    // Other tests of this file add series of their own (other statuses); the model-like labels are what is bounded.
    const providerModels = new Set(requestSeries.map((line) => /provider_model="([^"]*)"/.exec(line)?.[1]));
    expect(providerModels.size).toBeLessThanOrEqual(21);
    expect(names.filter((name) => text.includes(name)).length).toBeLessThan(names.length);
    expect(text).toContain('provider_model="other"');
    // The model label is the model that answered, never the client's string.
    expect(requestSeries.every((line) => line.includes('model="claude-fake-1"'))).toBe(true);
  });
});

describe("live conversations whose process died", () => {
  test("a turn arriving just after its live process was killed is answered by replay, not 'exited with code 137'", async () => {
    // The real CLI: it keeps the conversation live between turns.
    const live = await startTestRelay({ args: ["--warm-processes", "0"] });
    try {
      const client = new OpenAI({ baseURL: `${live.url}/v1`, apiKey: "client-a", maxRetries: 0 });
      const history: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Remember the number 7." }];
      const first = await client.chat.completions.create({ model: "sonnet", messages: history });
      await waitFor(async () => (await health(live.url)).live_conversations === 1);
      const pid = live.logs.find((line) => line.msg === "claude CLI started")!.pid as number;
      process.kill(pid, "SIGKILL");
      const second = await client.chat.completions.create({ model: "sonnet", messages: [...history, first.choices[0].message, { role: "user", content: "Which number?" }] });
      expect(second.choices[0].message.content).toBe("Hello from fake upstream!");
      expect(live.logs.some((line) => line.msg === "conversation continues by replay")).toBe(true);
      // The replayed conversation reached the upstream whole.
      expect(live.upstream.messageRequests().at(-1)!.body.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant", "user"]);
    } finally {
      await live.close();
    }
  });
});
