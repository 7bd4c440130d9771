import { describe, expect, test } from "bun:test";
import { estimateClaudeInputTokens } from "../../src/backends/claude/estimate-claude-input-tokens.ts";
import { parseAnthropicMessagesRequest } from "../../src/protocols/anthropic-messages/parse-request.ts";
import type { AnthropicMessagesRequest } from "../../src/protocols/anthropic-messages/schema.ts";
import { pngHeader } from "./image-headers.ts";

/** What count_tokens answers for an Anthropic request routed to the claude CLI. */
const estimate = (body: Record<string, unknown>) => estimateClaudeInputTokens(parseAnthropicMessagesRequest({ model: "sonnet", messages: [], ...body } as AnthropicMessagesRequest));
/** The estimate for one user message with these blocks, without the fixed overheads. */
const blocks = (content: unknown[]) => estimate({ messages: [{ role: "user", content }] }) - estimate({ messages: [{ role: "user", content: [] }] });

// The documented rules: ~3.5 characters per token, 4 tokens per message, 140 for what the CLI adds,
// width*height/750 per image after a resize to ~1.15 MP and at most 1568 px, 2000 per PDF page.
const cliOverhead = 140;
const perMessage = 4;
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("estimateClaudeInputTokens (count_tokens for the claude CLI)", () => {
  test("an empty request is the CLI's own overhead", () => {
    expect(estimate({})).toBe(cliOverhead);
  });

  test("text counts ~3.5 characters per token, rounded up, plus the per-message overhead", () => {
    expect(estimate({ messages: [{ role: "user", content: "hello world" }] })).toBe(cliOverhead + perMessage + Math.ceil(11 / 3.5));
    expect(estimate({ messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(35) }] }] })).toBe(cliOverhead + perMessage + 10);
  });

  test("system text counts, as a string and as blocks", () => {
    expect(estimate({ system: "x".repeat(70) })).toBe(cliOverhead + 20);
    expect(estimate({ system: [{ type: "text", text: "x".repeat(70) }] })).toBe(cliOverhead + 20);
  });

  test("a small image counts width*height/750", () => {
    const source = { type: "base64", media_type: "image/png", data: base64(pngHeader(1000, 750)) };
    expect(blocks([{ type: "image", source }])).toBe(1000);
  });

  test("a large image is counted after the resize to ~1.15 megapixels", () => {
    const source = { type: "base64", media_type: "image/png", data: base64(pngHeader(4000, 3000)) };
    expect(blocks([{ type: "image", source }])).toBe(Math.ceil(1_150_000 / 750));
  });

  test("a long thin image is limited by the 1568 px edge", () => {
    const source = { type: "base64", media_type: "image/png", data: base64(pngHeader(6272, 100)) };
    // 6272 -> 1568 (scale 1/4): 1568 * 25 / 750
    expect(blocks([{ type: "image", source }])).toBe(Math.ceil((1568 * 25) / 750));
  });

  test("an image by URL or of unknown format counts the default 1600", () => {
    expect(blocks([{ type: "image", source: { type: "url", url: "https://example.com/a.png" } }])).toBe(1600);
    expect(blocks([{ type: "image", source: { type: "base64", media_type: "image/png", data: base64(new TextEncoder().encode("not an image")) } }])).toBe(1600);
  });

  test("a PDF counts 2000 per page; a text document counts its text", () => {
    const pdf = "%PDF-1.4\n1 0 obj << /Type /Pages /Count 3 >>\n2 0 obj << /Type /Page >>\n3 0 obj << /Type/Page >>\n4 0 obj << /Type /Page >>\n";
    expect(blocks([{ type: "document", source: { type: "base64", media_type: "application/pdf", data: Buffer.from(pdf, "latin1").toString("base64") } }])).toBe(6000);
    expect(blocks([{ type: "document", source: { type: "text", media_type: "text/plain", data: "x".repeat(35) } }])).toBe(10);
  });

  test("tool use, tool results and tools count", () => {
    const withTools = estimate({ messages: [{ role: "user", content: "hi" }], tools: [{ name: "get_weather", input_schema: { type: "object" } }] });
    expect(withTools).toBeGreaterThan(estimate({ messages: [{ role: "user", content: "hi" }] }) + 12);
    expect(blocks([{ type: "tool_result", tool_use_id: "t", content: "x".repeat(35) }])).toBe(10);
    expect(blocks([{ type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "x".repeat(35) }] }])).toBe(10);
    expect(blocks([{ type: "tool_use", id: "t", name: "f", input: { city: "Oslo" } }])).toBeGreaterThan(0);
  });

  test("more text never estimates fewer tokens", () => {
    let previous = 0;
    for (const length of [0, 1, 10, 100, 1000, 10_000]) {
      const next = estimate({ messages: [{ role: "user", content: "y".repeat(length) }] });
      expect(next).toBeGreaterThanOrEqual(previous);
      previous = next;
    }
  });

  test("the estimate is a whole number for text, images and documents", () => {
    const total = estimate({
      system: "abc",
      messages: [{ role: "user", content: [{ type: "text", text: "hello" }, { type: "image", source: { type: "base64", media_type: "image/png", data: base64(pngHeader(333, 777)) } }] }],
    });
    expect(Number.isInteger(total)).toBe(true);
  });

  // Redacted thinking counts a quarter of its base64 text; the count must still be a whole number.
  test("the estimate is a whole number with redacted thinking", () => {
    const total = estimate({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "redacted_thinking", data: "x".repeat(10) }, { type: "text", text: "ok" }] },
      ],
    });
    expect(Number.isInteger(total)).toBe(true);
  });
});
