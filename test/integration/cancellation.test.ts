/**
 * A client that goes away stops the CLI at once: the upstream request is closed, the CLI process and its
 * group are gone, and the slot is free again. Real claude CLI, real sockets.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";
import { isAlive } from "../support/processes.ts";

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay({ args: ["--kill-grace", "6s"] });
});
afterAll(() => relay.close());
beforeEach(async () => {
  await relay.settle();
  relay.upstream.reset();
});


function startedPids(): number[] {
  return relay.logs.filter((line) => line.msg === "claude CLI started").map((line) => line.pid as number);
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await Bun.sleep(20);
  }
  return condition();
}

async function expectEverythingStopped(pid: number) {
  const upstream = relay.upstream.messageRequests()[0];
  const closedAt = await Promise.race([upstream.aborted.then(() => Date.now()), Bun.sleep(3000).then(() => undefined)]);
  expect(closedAt).toBeDefined();
  expect(upstream.completed).toBe(false);
  expect(await waitUntil(() => !isAlive(pid))).toBe(true);
  expect(await waitUntil(async () => ((await (await fetch(`${relay.url}/health`)).json()) as any).requests.active === 0)).toBe(true);
  return closedAt!;
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
    const pid = startedPids().at(-1)!;
    const closedAt = await expectEverythingStopped(pid);
    // Interrupt first: the upstream request is closed well before the kill grace period.
    expect(closedAt - abortedAt).toBeLessThan(3000);
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
    await expectEverythingStopped(startedPids().at(-1)!);
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
    await expectEverythingStopped(startedPids().at(-1)!);
  });
});
