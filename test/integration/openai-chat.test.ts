import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let client: OpenAI;

beforeAll(async () => {
  relay = await startTestRelay();
  client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "anything", maxRetries: 0 });
});
afterAll(() => relay.close());
beforeEach(() => relay.upstream.reset());

describe("OpenAI chat completions through the real claude CLI", () => {
  test("non-streaming answer carries the upstream text, model, finish reason and usage", async () => {
    relay.upstream.enqueue({
      kind: "text",
      chunks: ["Paris is ", "the capital."],
      model: "claude-sonnet-5",
      usage: { input_tokens: 30, output_tokens: 11, cache_creation_input_tokens: 7, cache_read_input_tokens: 200 },
    });
    const completion = await client.chat.completions.create({
      model: "sonnet",
      messages: [
        { role: "system", content: "You answer geography questions." },
        { role: "user", content: "Capital of France?" },
      ],
    });
    expect(completion.choices[0].message.content).toBe("Paris is the capital.");
    expect(completion.choices[0].finish_reason).toBe("stop");
    expect(completion.model).toBe("claude-sonnet-5");
    expect(completion.usage).toMatchObject({
      prompt_tokens: 30 + 7 + 200,
      completion_tokens: 11,
      total_tokens: 248,
      prompt_tokens_details: { cached_tokens: 200 },
    });
    const upstream = relay.upstream.messageRequests().at(-1)!.body;
    expect(upstream.model).toBe("claude-sonnet-5");
    expect(upstream.system.at(-1).text).toBe("You answer geography questions.");
    expect(upstream.tools).toEqual([]);
  });
});
