/**
 * Stored Responses API responses outlive the relay process: a relay restarted on the same data directory
 * retrieves them and continues their conversations (by replay, as no CLI survived). Retention options apply.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startFakeUpstream, type FakeUpstream } from "../support/fake-anthropic-upstream.ts";
import { metricValue } from "../support/metric-value.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let upstream: FakeUpstream;
let dataDir: string;

beforeAll(() => {
  upstream = startFakeUpstream();
  dataDir = mkdtempSync(join(tmpdir(), "agent-relay-responses-"));
});
afterAll(async () => {
  await upstream.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

/** The upstream's last conversation without the CLI's date reminder and cache markers. */
function lastConversationSeenUpstream() {
  const messages = upstream.messageRequests().at(-1)!.body.messages as Array<{ role: string; content: string | Array<Record<string, any>> }>;
  return messages.map((message) => ({
    role: message.role,
    content: (typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content)
      .filter((block) => !(block.type === "text" && block.text.startsWith("<system-reminder>")))
      .map(({ cache_control, ...block }) => block),
  }));
}

async function withRelay<T>(args: string[], run: (client: OpenAI, relay: TestRelay) => Promise<T>): Promise<T> {
  const relay = await startTestRelay({ upstream, args: ["--data-dir", dataDir, ...args] });
  try {
    return await run(new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 }), relay);
  } finally {
    await relay.close();
  }
}

describe("after a restart", () => {
  test("a stored response is retrieved and its conversation, tool call included, continues by replay", async () => {
    upstream.enqueue(
      { kind: "tool-use", text: "Checking.", calls: [{ id: "toolu_kyiv", name: "mcp__relay__get_weather", input: { city: "Kyiv" } }] },
      { kind: "text", chunks: ["Kyiv: light snow."] },
    );
    const first = await withRelay([], (client) => client.responses.create({ model: "sonnet", instructions: "Be brief.", input: "Kyiv?", tools: [weatherTool] }));
    expect(first.output.map((item) => item.type)).toEqual(["message", "function_call"]);

    await withRelay([], async (client, relay) => {
      expect(await client.responses.retrieve(first.id)).toEqual(first);
      const second = await client.responses.create({
        model: "sonnet",
        instructions: "Be brief.",
        previous_response_id: first.id,
        input: [{ type: "function_call_output", call_id: "toolu_kyiv", output: "light snow, -3C" }],
        tools: [weatherTool],
      });
      expect(second.output_text).toBe("Kyiv: light snow.");
      expect(await metricValue(relay.url, 'agent_relay_conversation_continuations_total{path="replay"}')).toBe(1);
    });
    expect(lastConversationSeenUpstream()).toEqual([
      { role: "user", content: [{ type: "text", text: "Kyiv?" }] },
      { role: "assistant", content: [{ type: "text", text: "Checking." }, { type: "tool_use", id: "toolu_kyiv", name: "mcp__relay__get_weather", input: { city: "Kyiv" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_kyiv", content: [{ type: "text", text: "light snow, -3C" }] }] },
    ]);
  });

  test("--responses-max-stored keeps only the newest responses", async () => {
    await withRelay(["--responses-max-stored", "2"], async (client) => {
      const ids: string[] = [];
      for (const word of ["one", "two", "three"]) ids.push((await client.responses.create({ model: "sonnet", input: word })).id);
      const oldest = await client.responses.retrieve(ids[0]).catch((caught) => caught);
      expect(oldest).toBeInstanceOf(OpenAI.NotFoundError);
      expect((await client.responses.retrieve(ids[2])).id).toBe(ids[2]);
    });
  });
});
