/**
 * The Vercel AI SDK as a caller, through its Anthropic provider and its OpenAI provider (Chat Completions and
 * Responses), streaming and not. The providers validate every answer against their own schemas of the
 * official APIs, so an answer with a field of the wrong shape (e.g. a null where the API omits the field)
 * fails here as "Invalid JSON response". The fake CLI answers; its usage numbers are known.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText, type LanguageModel } from "ai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let models: Record<"anthropic-messages" | "openai-chat" | "openai-responses", LanguageModel>;

beforeAll(async () => {
  relay = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0"] });
  const anthropic = createAnthropic({ baseURL: `${relay.url}/v1`, apiKey: "x" });
  const openai = createOpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x" });
  models = { "anthropic-messages": anthropic("sonnet"), "openai-chat": openai.chat("sonnet"), "openai-responses": openai.responses("sonnet") };
});
afterAll(() => relay.close());

/** The fake CLI's numbers: 21 fresh input tokens, 100 read from cache, 5 written to it, 9 output tokens. */
const expectedUsage = {
  inputTokens: 126,
  inputTokenDetails: { noCacheTokens: 21, cacheReadTokens: 100, cacheWriteTokens: 5 },
  outputTokens: 9,
  totalTokens: 135,
};

for (const protocol of ["anthropic-messages", "openai-chat", "openai-responses"] as const) {
  describe(protocol, () => {
    test("generateText: the answer passes the provider's schema, with the real finish reason and usage", async () => {
      const result = await generateText({ model: models[protocol], prompt: "hi", maxOutputTokens: 100 });
      expect(result.text).toBe("Hello from the fake CLI");
      expect(result.finishReason).toBe("stop");
      expect(result.usage).toMatchObject(expectedUsage);
      expect(result.response.modelId).toBe("claude-fake-1");
      expect(result.response.id).toEqual(expect.any(String));
    });

    test("streamText: every chunk passes the provider's schema; text, finish reason and usage as without streaming", async () => {
      const errors: unknown[] = [];
      const result = streamText({ model: models[protocol], prompt: "hi", maxOutputTokens: 100, onError: ({ error }) => void errors.push(error) });
      let text = "";
      for await (const part of result.textStream) text += part;
      expect(errors).toEqual([]);
      expect(text).toBe("Hello from the fake CLI");
      expect(await result.finishReason).toBe("stop");
      expect(await result.usage).toMatchObject(expectedUsage);
    });
  });
}
