/**
 * Faults the real CLI will not produce on demand, with a small fake CLI (test/support/fake-claude.sh):
 * crashes before and during output, hangs, garbage lines, silent exits and a missing binary.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { isAlive } from "../support/processes.ts";

let relay: TestRelay;
let openai: OpenAI;
let anthropic: Anthropic;
const pidDirectory = mkdtempSync(join(tmpdir(), "fake-claude-pids-"));

beforeAll(async () => {
  relay = await startTestRelay({
    claudeBin: fakeClaudeBin,
    // No warm or kept processes: every fake CLI alive after a request would be a leak.
    // ... and none recycled (the fake CLI does not speak /clear).
    args: ["--idle-timeout", "1s", "--kill-grace", "300ms", "--warm-processes", "0", "--conversation-idle-timeout", "0", "--no-recycle"],
    env: { FAKE_CLAUDE_PID_DIR: pidDirectory },
  });
  openai = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: relay.url, apiKey: "x", maxRetries: 0 });
});
afterAll(() => relay.close());

const ask = (text: string) => openai.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: text }] });
const askStreaming = async (text: string) => {
  let content = "";
  const stream = await openai.chat.completions.create({ model: "sonnet", stream: true, messages: [{ role: "user", content: text }] });
  for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
  return content;
};


/** Fake CLI processes still alive (each writes its pid to a file; a killed one cannot remove it). */
async function noFakeClaudeLeft() {
  const alive = () => readdirSync(pidDirectory).map(Number).filter(isAlive);
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && alive().length > 0) await Bun.sleep(20);
  return alive();
}

describe("CLI faults", () => {
  test("the fake CLI answers normally (baseline for the faults below)", async () => {
    const completion = await ask("hello");
    expect(completion.choices[0].message.content).toBe("Hello from the fake CLI");
    expect(completion.usage).toMatchObject({ prompt_tokens: 126, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 100 } });
  });

  test("a crash before any output is an HTTP 502, never a 200 with an empty answer", async () => {
    const error = await ask("FAKE:crash-before-output").catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/exited with code 3/);
    const streamed = await askStreaming("FAKE:crash-before-output").catch((e) => e);
    expect(streamed.status).toBe(502);
    // The CLI's stderr goes to the log, not to the client.
    expect(error.message).not.toContain("simulated crash");
    expect(relay.logs.some((line) => String(line.error_detail ?? "").includes("simulated crash before output"))).toBe(true);
  });

  test("a crash mid-stream becomes an in-band error the SDK raises, not a normal end", async () => {
    const error = await askStreaming("FAKE:crash-mid-stream").catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toMatch(/exited with code 9/);

    const anthropicError = await anthropic.messages
      .stream({ model: "sonnet", max_tokens: 10, messages: [{ role: "user", content: "FAKE:crash-mid-stream" }] })
      .finalMessage()
      .catch((e) => e);
    expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
    expect(anthropicError.error?.error?.type ?? anthropicError.error?.type).toBe("api_error");
  });

  test("a crash mid-answer of a non-streaming request is a 502", async () => {
    const error = await ask("FAKE:crash-mid-stream").catch((e) => e);
    expect(error.status).toBe(502);
  });

  test("a CLI that hangs before answering is cut by the idle timeout with a 504, and is killed", async () => {
    const startedAt = Date.now();
    const error = await ask("FAKE:hang").catch((e) => e);
    expect(error.status).toBe(504);
    expect(error.message).toMatch(/no output for 1 s/);
    expect(Date.now() - startedAt).toBeLessThan(4000);
    expect(await noFakeClaudeLeft()).toEqual([]);
  });

  test("a CLI that hangs mid-stream gets an in-band timeout error, and is killed", async () => {
    const error = await askStreaming("FAKE:hang-mid-stream").catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toMatch(/no output/);
    expect(await noFakeClaudeLeft()).toEqual([]);
  });

  test("a slow but steady stream is not cut: the idle timeout resets on every line", async () => {
    // Ten deltas 200 ms apart: 2 s in total, twice the 1 s idle timeout.
    expect(await askStreaming("FAKE:slow")).toBe("Hello slow world from the fake CLI");
  });

  test("a garbage line is logged and skipped", async () => {
    const completion = await ask("FAKE:garbage-line");
    expect(completion.choices[0].message.content).toBe("Hello from the fake CLI");
    expect(relay.logs.some((line) => line.msg === "claude CLI printed a line that is not JSON" && line.line === "this is not json {")).toBe(true);
  });

  test("a CLI that exits 0 without answering is a 502", async () => {
    const error = await ask("FAKE:exit-silently").catch((e) => e);
    expect(error.status).toBe(502);
  });

  test("the CLI runs in the relay's own working directory", async () => {
    const completion = await ask("FAKE:echo-cwd");
    expect(completion.choices[0].message.content).toContain(`[cwd=${join(relay.home, "relay-data", "workspace")}]`);
  });
});

describe("the CLI's environment", () => {
  test("an ANTHROPIC_BASE_URL pointing at the relay itself is removed; any other passes through", async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const selfPointing = await startTestRelay({
      claudeBin: fakeClaudeBin,
      args: ["--port", String(port)],
      env: { ANTHROPIC_BASE_URL: `http://localhost:${port}` },
    });
    try {
      const client = new OpenAI({ baseURL: `${selfPointing.url}/v1`, apiKey: "x", maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "FAKE:echo-env" }] });
      expect(completion.choices[0].message.content).toContain("[base_url=unset]");
    } finally {
      await selfPointing.close();
    }
    const gateway = await ask("FAKE:echo-env");
    expect(gateway.choices[0].message.content).toContain(`[base_url=${relay.upstream.url}]`);
  });
});

describe("a missing CLI", () => {
  test("the relay still starts, /health says degraded and why, requests get an in-protocol 503 with install steps", async () => {
    const missing = await startTestRelay({ claudeBin: "/nonexistent/claude" });
    try {
      const health = (await (await fetch(`${missing.url}/health`)).json()) as { status: string; reason: string };
      expect(health.status).toBe("degraded");
      expect(health.reason).toContain("/nonexistent/claude");
      expect(health.reason).toContain("npm install -g @anthropic-ai/claude-code");

      const client = new OpenAI({ baseURL: `${missing.url}/v1`, apiKey: "x", maxRetries: 0 });
      const error = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
      expect(error.status).toBe(503);
      expect(error.error).toMatchObject({ type: "server_error", code: "claude_cli_not_found" });
      expect(error.message).toMatch(/log in/);

      const anthropicClient = new Anthropic({ baseURL: missing.url, apiKey: "x", maxRetries: 0 });
      const anthropicError = await anthropicClient.messages.create({ model: "sonnet", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
      expect(anthropicError.status).toBe(503);
      expect(anthropicError.error.type).toBe("error");
    } finally {
      await missing.close();
    }
  });
});
