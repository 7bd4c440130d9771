/**
 * Our answers, field for field, against the strictest real validators: the Vercel AI SDK's providers parse
 * every non-streaming answer and every stream chunk with their zod schemas of the official APIs (a field of
 * the wrong type or a null where the API omits the field fails as "Invalid JSON response" or as an error
 * part). The answers here carry every kind of part the relay renders: thinking with its signature, text, two
 * tool calls, and usage with cache reads and writes, on all three protocols, streaming and not.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, streamText, tool, type LanguageModel } from "ai";
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { parseCommand } from "../../src/config.ts";
import type { RelayEvent } from "../../src/core/relay-event.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import { createLogger } from "../../src/util/logger.ts";
import { ScriptedBackend } from "../support/scripted-backend.ts";
import { usage } from "./relay-events.ts";

const answerUsage = usage({ inputTokens: 21, outputTokens: 40, cacheReadInputTokens: 100, cacheCreationInputTokens: 5 });

/** Thinking, text and two tool calls, as a backend streams them. */
const richAnswer: RelayEvent[] = [
  { type: "stream-start", id: "msg_1", model: "claude-sonnet-5", usage: answerUsage },
  { type: "reasoning-start", id: "r", providerMetadata: { anthropic: {} } },
  { type: "reasoning-delta", id: "r", delta: "Two lookups are needed." },
  { type: "reasoning-delta", id: "r", delta: "", providerMetadata: { anthropic: { signature: "c2lnbmF0dXJl" } } },
  { type: "reasoning-end", id: "r" },
  { type: "text-start", id: "t" },
  { type: "text-delta", id: "t", delta: "Looking " },
  { type: "text-delta", id: "t", delta: "it up." },
  { type: "text-end", id: "t" },
  { type: "tool-input-start", id: "toolu_1", toolName: "lookup" },
  { type: "tool-input-delta", id: "toolu_1", delta: '{"q":' },
  { type: "tool-input-delta", id: "toolu_1", delta: '"paris"}' },
  { type: "tool-input-end", id: "toolu_1" },
  { type: "tool-input-start", id: "toolu_2", toolName: "lookup" },
  { type: "tool-input-delta", id: "toolu_2", delta: '{"q":"rome"}' },
  { type: "tool-input-end", id: "toolu_2" },
  { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_use" }, usage: answerUsage, model: "claude-sonnet-5" },
];

/** Plain text that hit max_tokens. */
const truncatedAnswer: RelayEvent[] = [
  { type: "stream-start", id: "msg_2", model: "claude-sonnet-5", usage: answerUsage },
  { type: "text-start", id: "t" },
  { type: "text-delta", id: "t", delta: "Once upon a" },
  { type: "text-end", id: "t" },
  { type: "finish", finishReason: { unified: "length", raw: "max_tokens" }, usage: answerUsage, model: "claude-sonnet-5" },
];

function makeModels(events: RelayEvent[]): Record<"anthropic-messages" | "openai-chat" | "openai-responses", LanguageModel> {
  const command = parseCommand(["--port", "0"], { HOME: "/nonexistent" });
  if (command.kind !== "serve") throw new Error("unexpected command");
  const backend = new ScriptedBackend("scripted", [{ events }]);
  const log = createLogger({ level: "error", write: () => {} });
  const app = createApp({ config: command.config, backend, metrics: new RelayMetrics(() => backend.load()), log, version: "test", startedAt: new Date(), disableIdleTimeout: () => {} });
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input as Request, init);
    const headers = new Headers(request.headers);
    headers.set("host", "127.0.0.1");
    return app.handle(new Request(request, { headers }));
  }) as typeof globalThis.fetch;
  const anthropic = createAnthropic({ baseURL: "http://127.0.0.1/v1", apiKey: "x", fetch });
  const openai = createOpenAI({ baseURL: "http://127.0.0.1/v1", apiKey: "x", fetch });
  return { "anthropic-messages": anthropic("sonnet"), "openai-chat": openai.chat("sonnet"), "openai-responses": openai.responses("sonnet") };
}

const tools = { lookup: tool({ description: "Looks a city up.", inputSchema: jsonSchema<{ q: string }>({ type: "object", properties: { q: { type: "string" } }, required: ["q"] }) }) };
const protocols = ["anthropic-messages", "openai-chat", "openai-responses"] as const;

for (const protocol of protocols) {
  describe(`${protocol}: every answer passes the AI SDK's schemas`, () => {
    test("non-streaming: thinking, text and two tool calls, with usage", async () => {
      const result = await generateText({ model: makeModels(richAnswer)[protocol], prompt: "weather in paris and rome?", tools });
      expect(result.text).toBe("Looking it up.");
      expect(result.toolCalls.map((call) => [call.toolName, call.input])).toEqual([["lookup", { q: "paris" }], ["lookup", { q: "rome" }]]);
      expect(result.finishReason).toBe("tool-calls");
      expect(result.usage).toMatchObject({ inputTokens: 126, outputTokens: 40 });
      // Chat Completions has no place for thinking; the Responses API carries it as reasoning_text content,
      // which the AI SDK does not read (it reads summaries only): see docs/response-fields.md.
      if (protocol === "anthropic-messages") expect(result.reasoningText).toBe("Two lookups are needed.");
    });

    test("streaming: every chunk parses; the same parts arrive", async () => {
      const errors: unknown[] = [];
      const result = streamText({ model: makeModels(richAnswer)[protocol], prompt: "weather in paris and rome?", tools, includeRawChunks: true, onError: ({ error }) => void errors.push(error) });
      const parts: string[] = [];
      for await (const part of result.fullStream) {
        if (part.type === "error") errors.push(part.error);
        parts.push(part.type);
      }
      expect(errors).toEqual([]);
      expect(await result.text).toBe("Looking it up.");
      expect((await result.toolCalls).map((call) => call.input)).toEqual([{ q: "paris" }, { q: "rome" }]);
      expect(await result.finishReason).toBe("tool-calls");
      expect(await result.usage).toMatchObject({ inputTokens: 126, outputTokens: 40 });
      if (protocol === "anthropic-messages") expect(await result.reasoningText).toBe("Two lookups are needed.");
    });

    test("max_tokens: the length finish reason, streaming and not", async () => {
      expect((await generateText({ model: makeModels(truncatedAnswer)[protocol], prompt: "a story" })).finishReason).toBe("length");
      const errors: unknown[] = [];
      const streamed = streamText({ model: makeModels(truncatedAnswer)[protocol], prompt: "a story", onError: ({ error }) => void errors.push(error) });
      expect(await streamed.text).toBe("Once upon a");
      expect(await streamed.finishReason).toBe("length");
      expect(errors).toEqual([]);
    });
  });
}
