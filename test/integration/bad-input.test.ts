/**
 * Hostile and type-confused Anthropic Messages requests: each is a 400 naming the parameter, never a 500
 * from a TypeError or a stack overflow, never a 200 with the tool or image silently dropped. Deeply nested
 * JSON is refused for every protocol, before any recursive code sees it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fakeClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0"] });
});
afterAll(() => relay.close());

const deep = (levels: number) => {
  let value: Record<string, unknown> = {};
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
};
const base = { model: "sonnet", max_tokens: 100 };
const ask = (content: unknown) => ({ ...base, messages: [{ role: "user", content }] });
const tool = (name: string, inputSchema: unknown = { type: "object", properties: {} }) => ({ name, input_schema: inputSchema });
const toolRound = (input: unknown, resultContent: unknown) => ({
  ...base,
  tools: [tool("lookup")],
  messages: [
    { role: "user", content: "look it up" },
    { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "lookup", input }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: resultContent }] },
  ],
});
const png1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const cases: Array<{ name: string; body: unknown; param: string }> = [
  { name: "tools as an object", body: { ...ask("hi"), tools: {} }, param: "tools" },
  { name: "tools as a string", body: { ...ask("hi"), tools: "x" }, param: "tools" },
  { name: "a null tool", body: { ...ask("hi"), tools: [null] }, param: "tools.0" },
  { name: "a tool schema that is not an object", body: { ...ask("hi"), tools: [tool("f", "x")] }, param: "tools.0.input_schema" },
  { name: "a tool schema of another type", body: { ...ask("hi"), tools: [tool("f", { type: "string" })] }, param: "tools.0.input_schema.type" },
  { name: "duplicate tool names", body: { ...ask("hi"), tools: [tool("f"), tool("f")] }, param: "tools.1.name" },
  { name: "tool_choice naming no tool", body: { ...ask("hi"), tools: [tool("f")], tool_choice: { type: "tool", name: "g" } }, param: "tool_choice.name" },
  // The API takes numbers only; a numeric string is not quietly turned into one.
  { name: "max_tokens as a string", body: { ...ask("hi"), max_tokens: "100" }, param: "max_tokens" },
  { name: "a fractional max_tokens", body: { ...ask("hi"), max_tokens: 10.5 }, param: "max_tokens" },
  { name: "a negative thinking budget", body: { ...ask("hi"), thinking: { type: "enabled", budget_tokens: -5 } }, param: "thinking.budget_tokens" },
  { name: "document content as a number", body: ask([{ type: "document", source: { type: "content", content: 5 } }, { type: "text", text: "hi" }]), param: "messages.0.content.0.source.content" },
  { name: "a null tool_result block", body: toolRound({}, [null]), param: "messages.2.content.0.content.0" },
  { name: "a tool schema nested 10,000 deep", body: { ...ask("hi"), tools: [tool("f", { type: "object", properties: deep(10_000) })] }, param: "tools.0.input_schema.properties.a.a" },
  { name: "a tool input nested 10,000 deep", body: toolRound(deep(10_000), "ok"), param: "messages.1.content.0.input.a" },
  { name: "image data that is not base64", body: ask([{ type: "image", source: { type: "base64", media_type: "image/png", data: "!!!not base64!!!" } }, { type: "text", text: "hi" }]), param: "messages.0.content.0.source.data" },
  { name: "image data that is not an image", body: ask([{ type: "image", source: { type: "base64", media_type: "image/png", data: Buffer.from("plain text, not a picture").toString("base64") } }, { type: "text", text: "hi" }]), param: "messages.0.content.0.source.data" },
  { name: "an image media type that is not an image", body: ask([{ type: "image", source: { type: "base64", media_type: "text/plain", data: png1x1 } }, { type: "text", text: "hi" }]), param: "messages.0.content.0.source.media_type" },
];

describe("Anthropic Messages: bad input is a 400 naming the parameter", () => {
  for (const { name, body, param } of cases) {
    test(name, async () => {
      const sessionsBefore = relay.logs.filter((line) => line.msg === "claude CLI started").length;
      const response = await fetch(`${relay.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as any;
      expect(answer).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
      expect(answer.error.message.startsWith(`${param}:`)).toBe(true);
      // Refused before a CLI was started.
      expect(relay.logs.filter((line) => line.msg === "claude CLI started").length).toBe(sessionsBefore);
    });
  }

  test("a valid image and valid tools still work", async () => {
    const response = await fetch(`${relay.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ ...ask([{ type: "image", source: { type: "base64", media_type: "image/png", data: png1x1 } }, { type: "text", text: "hi" }]), tools: [tool("f")], tool_choice: { type: "tool", name: "f" } }),
    });
    expect(response.status).toBe(200);
  });
});

describe("every protocol: JSON nested 10,000 deep is a 400", () => {
  for (const path of ["/v1/chat/completions", "/v1/responses"]) {
    test(path, async () => {
      const body = path === "/v1/responses" ? { model: "sonnet", input: "hi", metadata: deep(10_000) } : { model: "sonnet", messages: [{ role: "user", content: "hi" }], metadata: deep(10_000) };
      const response = await fetch(`${relay.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).error).toMatchObject({ type: "invalid_request_error", param: expect.stringMatching(/^metadata\.a/) });
    });
  }
});
