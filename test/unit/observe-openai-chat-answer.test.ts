/**
 * The parsed copy of a passed-through Chat Completions answer: what the relay's log line, metrics and
 * inspector learn from it, and how an incomplete or failed answer settles `completion` (never the byte path).
 */
import { describe, expect, test } from "bun:test";
import { observeOpenAIChatAnswer } from "../../src/backends/openai-compatible/observe-openai-chat-answer.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";

const encoder = new TextEncoder();
const context = { providerName: "openrouter", model: "gpt-test", responseId: "r1" };
const frame = (data: unknown) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id: "c1", model: "served", choices, ...extra });

/** Feeds the body cut into single bytes (the harshest chunking) and reports events and how it settled. */
async function observe(body: string, stream = true): Promise<{ events: RelayEvent[]; error: unknown }> {
  const events: RelayEvent[] = [];
  const observer = observeOpenAIChatAnswer({ stream, context, onEvent: (event) => events.push(event) });
  for (const byte of encoder.encode(body)) observer.observe(Uint8Array.of(byte));
  observer.end();
  const error = await observer.completion.then(() => undefined, (caught) => caught);
  return { events, error };
}

const finishOf = (events: RelayEvent[]) => events.find((event) => event.type === "finish") as Extract<RelayEvent, { type: "finish" }> | undefined;

describe("observeOpenAIChatAnswer", () => {
  test("a complete stream: choice 0's text, the real finish reason, and the usage chunk after it", async () => {
    const body = [
      frame(chunk([{ index: 0, delta: { role: "assistant", content: "Caf\u00e9" } }, { index: 1, delta: { content: "other choice" } }])),
      ": comment\n\n",
      frame(chunk([{ index: 0, delta: {}, finish_reason: "length" }])),
      frame(chunk([], { usage: { prompt_tokens: 40, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 30 } } })),
      frame("[DONE]"),
    ].join("");
    const { events, error } = await observe(body);
    expect(error).toBeUndefined();
    expect(events.filter((event) => event.type === "text-delta").map((event) => (event as { delta: string }).delta).join("")).toBe("Caf\u00e9");
    expect(finishOf(events)).toMatchObject({ finishReason: { unified: "length", raw: "length" }, usage: { inputTokens: 10, cacheReadInputTokens: 30, outputTokens: 7 }, model: "served" });
  });

  test("a stream cut before its finish_reason settles as incomplete", async () => {
    const { events, error } = await observe(frame(chunk([{ index: 0, delta: { content: "half" } }])));
    expect(finishOf(events)).toBeUndefined();
    expect(error).toBeInstanceOf(RelayError);
  });

  test("an error object inside the stream is the failure, named after the provider; later chunks are not parsed", async () => {
    const body = frame(chunk([{ index: 0, delta: { content: "part" } }])) + frame({ error: { message: "Upstream overloaded", code: 503 } }) + frame(chunk([{ index: 0, delta: {}, finish_reason: "stop" }]));
    const { events, error } = await observe(body);
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).status).toBe(503);
    expect((error as RelayError).message).toContain('Provider "openrouter" failed during the answer: Upstream overloaded');
    expect(finishOf(events)).toBeUndefined();
  });

  test("a whole JSON completion gives the same events", async () => {
    const { events, error } = await observe(JSON.stringify({ id: "c2", model: "served", choices: [{ index: 0, message: { content: "whole" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1 } }), false);
    expect(error).toBeUndefined();
    expect(finishOf(events)).toMatchObject({ finishReason: { unified: "stop" }, usage: { inputTokens: 3, outputTokens: 1 } });
  });

  test("a 200 whose JSON body is only an error object is a failure", async () => {
    const { error } = await observe(JSON.stringify({ error: { message: "No endpoints found", code: 404 } }), false);
    expect((error as RelayError).message).toContain("No endpoints found");
  });

  test("a body that is not a chat completion is a 502 naming the provider", async () => {
    const { error } = await observe("<html>bad gateway</html>", false);
    expect((error as RelayError).status).toBe(502);
    expect((error as RelayError).message).toBe('Provider "openrouter" answered with a body that is not a chat completion.');
  });

  test("a client that goes away settles completion with its reason", async () => {
    const observer = observeOpenAIChatAnswer({ stream: true, context, onEvent: () => {} });
    observer.observe(encoder.encode(frame(chunk([{ index: 0, delta: { content: "x" } }]))));
    observer.cancel(new RelayError("api_error", "client disconnected", { status: 499 }));
    const error = await observer.completion.then(() => undefined, (caught) => caught);
    expect((error as RelayError).status).toBe(499);
  });
});
