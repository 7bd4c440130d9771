/**
 * A client that goes away stops the CLI at once: the upstream request is closed, the CLI process and its
 * group are gone, and the slot is free again. Real claude CLI, real sockets.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { waitFor } from "../support/wait-for.ts";

let relay: TestRelay;
/** The CLI is interrupted at once and killed only after this; the upstream request must close long before. */
const killGraceMs = 30_000;

beforeAll(async () => {
  // No warm or idle processes: every CLI process must be gone once its request is cancelled.
  relay = await startTestRelay({ args: ["--kill-grace", `${killGraceMs}ms`, "--warm-processes", "0", "--conversation-idle-timeout", "0"] });
});
afterAll(() => relay.close());
beforeEach(async () => {
  await relay.settle();
  relay.upstream.reset();
});

/** The upstream request was closed unfinished, no CLI process is left and the slot is free; returns when it closed. */
async function expectEverythingStopped(): Promise<number> {
  const upstream = relay.upstream.messageRequests()[0];
  await waitFor(() => upstream.wasAborted || upstream.completed, { what: "the upstream request to end", timeoutMs: killGraceMs + 30_000 });
  const closedAt = Date.now();
  expect(upstream.completed).toBe(false);
  expect(relay.cliPids().length).toBeGreaterThanOrEqual(1);
  await waitFor(() => relay.aliveCliPids().length === 0, { what: "every CLI process to end" });
  await waitFor(async () => ((await (await fetch(`${relay.url}/health`)).json()) as any).requests.active === 0, { what: "the slot to be free" });
  return closedAt;
}

describe("client disconnects", () => {
  test("an OpenAI stream abandoned mid-answer closes the upstream stream and ends the CLI", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: Array.from({ length: 40 }, (_, i) => `word${i} `), delayMs: 150 });
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "sonnet", stream: true, messages: [{ role: "user", content: "talk" }] },
      { signal: controller.signal },
    );
    let received = "";
    try {
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? "";
        if (received.includes("word2")) controller.abort();
      }
    } catch {
      // the abort surfaces as an error in the loop
    }
    const abortedAt = Date.now();
    const closedAt = await expectEverythingStopped();
    // Interrupt first: the upstream request is closed well before the kill grace period.
    expect(closedAt - abortedAt).toBeLessThan(killGraceMs / 2);
    const cancelled = relay.logs.find((line) => line.msg === "request cancelled by client");
    expect(cancelled?.status).toBe(499);
  });

  test("an Anthropic stream abandoned mid-answer closes the upstream stream and ends the CLI", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), delayMs: 150 });
    const client = new Anthropic({ baseURL: relay.url, apiKey: "x", maxRetries: 0 });
    const stream = client.messages.stream({ model: "sonnet", max_tokens: 500, messages: [{ role: "user", content: "talk" }] });
    stream.on("error", () => {});
    const settled = stream.finalMessage().catch((error) => error);
    await new Promise<void>((resolve) => stream.on("text", (_, snapshot) => snapshot.includes("w1") && resolve()));
    stream.abort();
    expect(await settled).toBeInstanceOf(Anthropic.APIUserAbortError);
    await expectEverythingStopped();
  });

  test("a non-streaming request abandoned while the upstream has not answered yet ends the CLI", async () => {
    relay.upstream.enqueue({ kind: "hang" });
    const controller = new AbortController();
    const pending = fetch(`${relay.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }),
      signal: controller.signal,
    }).catch(() => undefined);
    await relay.upstream.waitForRequests(1);
    controller.abort();
    await pending;
    await expectEverythingStopped();
  });
});
