import { describe, expect, test } from "bun:test";
import { adaptRequestForClaude } from "../../src/backends/claude/adapt-request-for-claude.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import { parseAnthropicMessagesRequest } from "../../src/protocols/anthropic-messages/parse-request.ts";
import type { AnthropicMessagesRequest } from "../../src/protocols/anthropic-messages/schema.ts";

const parse = (body: Record<string, unknown>) =>
  parseAnthropicMessagesRequest({ model: "claude-sonnet-5", max_tokens: 1024, messages: [{ role: "user", content: "hi" }], ...body } as AnthropicMessagesRequest);
const userParts = (content: unknown) => parse({ messages: [{ role: "user", content }] }).messages[0].content;

function thrown(action: () => unknown): RelayError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RelayError);
    return error as RelayError;
  }
  throw new Error("expected a RelayError, nothing was thrown");
}

describe("parseAnthropicMessagesRequest: system", () => {
  test("a system string", () => {
    expect(parse({ system: "Be brief." }).system).toBe("Be brief.");
  });

  test("system blocks are joined; Claude Code's billing header block is dropped", () => {
    const parsed = parse({
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.197.d74; cc_entrypoint=sdk-cli;" },
        { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Answer in French." },
      ],
    });
    expect(parsed.system).toBe("You are a Claude agent.\n\nAnswer in French.");
  });

  test("an empty system string and no system both leave system undefined", () => {
    expect(parse({ system: "" }).system).toBeUndefined();
    expect(parse({}).system).toBeUndefined();
  });

  test("role system entries inside messages are appended to system and are not turns", () => {
    const parsed = parse({
      system: "Main prompt.",
      messages: [
        { role: "user", content: "hi" },
        { role: "system", content: [{ type: "text", text: "Agents available: none." }] },
        { role: "system", content: "Also this." },
        { role: "assistant", content: "hello" },
        { role: "user", content: "bye" },
      ],
    });
    expect(parsed.system).toBe("Main prompt.\n\nAgents available: none.\n\nAlso this.");
    expect(parsed.messages.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
  });
});

describe("parseAnthropicMessagesRequest: content blocks", () => {
  test("image base64 and url", () => {
    expect(
      userParts([
        { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" } },
        { type: "image", source: { type: "url", url: "https://example.com/x.png" } },
      ]),
    ).toEqual([
      { type: "image", source: { kind: "base64", mediaType: "image/jpeg", data: "/9j/4AAQ" } },
      { type: "image", source: { kind: "url", url: "https://example.com/x.png" } },
    ]);
  });

  test("an image file source is a 400 naming the param", () => {
    const error = thrown(() => userParts([{ type: "text", text: "x" }, { type: "image", source: { type: "file", file_id: "file_1" } }]));
    expect(error).toMatchObject({ kind: "invalid_request", status: 400, param: "messages.0.content.1.source" });
  });

  test("documents: base64, text, url and content sources, with title and context", () => {
    expect(
      userParts([
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "Report", context: "Q3" },
        { type: "document", source: { type: "text", media_type: "text/plain", data: "plain body" }, title: "notes.txt" },
        { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
        { type: "document", source: { type: "content", content: [{ type: "text", text: "first" }, { type: "text", text: "second" }] } },
        { type: "document", source: { type: "content", content: "just a string" } },
      ]),
    ).toEqual([
      { type: "document", source: { kind: "base64", mediaType: "application/pdf", data: "JVBERi0x" }, title: "Report", context: "Q3" },
      { type: "document", source: { kind: "text", mediaType: "text/plain", data: "plain body" }, title: "notes.txt", context: undefined },
      { type: "document", source: { kind: "url", url: "https://example.com/a.pdf" }, title: undefined, context: undefined },
      { type: "document", source: { kind: "text", mediaType: "text/plain", data: "first\nsecond" }, title: undefined, context: undefined },
      { type: "document", source: { kind: "text", mediaType: "text/plain", data: "just a string" }, title: undefined, context: undefined },
    ]);
  });

  test("a document file source is a 400", () => {
    expect(thrown(() => userParts([{ type: "document", source: { type: "file", file_id: "f" } }]))).toMatchObject({ status: 400, param: "messages.0.content.0.source" });
  });

  test("tool_use and tool_result: string, blocks with an image, is_error, empty", () => {
    const parsed = parse({
      messages: [
        { role: "user", content: "weather and a map?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
            { type: "tool_use", id: "toolu_2", name: "get_map", input: { city: "Oslo" } },
            { type: "tool_use", id: "toolu_3", name: "noop" },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "rainy" },
            { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "map:" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBO" } }] },
            { type: "tool_result", tool_use_id: "toolu_3", is_error: true, content: "failed" },
            { type: "tool_result", tool_use_id: "toolu_4" },
          ],
        },
      ],
    });
    expect(parsed.messages[1].content).toEqual([
      { type: "text", text: "Checking." },
      { type: "tool-call", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
      { type: "tool-call", id: "toolu_2", name: "get_map", input: { city: "Oslo" } },
      { type: "tool-call", id: "toolu_3", name: "noop", input: {} },
    ]);
    expect(parsed.messages[2].content).toEqual([
      { type: "tool-result", toolCallId: "toolu_1", content: [{ type: "text", text: "rainy" }], isError: false },
      {
        type: "tool-result",
        toolCallId: "toolu_2",
        content: [
          { type: "text", text: "map:" },
          { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBO" } },
        ],
        isError: false,
      },
      { type: "tool-result", toolCallId: "toolu_3", content: [{ type: "text", text: "failed" }], isError: true },
      { type: "tool-result", toolCallId: "toolu_4", content: [], isError: false },
    ]);
  });

  test("an unsupported block inside a tool_result is dropped with a warning", () => {
    const parsed = parse({ messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "search_result", source: "x" }] }] }] });
    expect(parsed.messages[0].content).toEqual([{ type: "tool-result", toolCallId: "t", content: [], isError: false }]);
    expect(parsed.warnings).toEqual([expect.objectContaining({ parameter: "messages.0.content.0.content.0.type" })]);
  });

  test("a tool_result whose content is neither string nor array is a 400", () => {
    expect(thrown(() => userParts([{ type: "tool_result", tool_use_id: "t", content: { text: "x" } }]))).toMatchObject({ status: 400, param: "messages.0.content.0.content" });
  });

  test("thinking and redacted_thinking become reasoning parts keeping signature and data", () => {
    const parsed = parse({
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Let me think.", signature: "sig_abc" },
            { type: "redacted_thinking", data: "ENCRYPTED" },
            { type: "text", text: "Hello." },
          ],
        },
        { role: "user", content: "again" },
      ],
    });
    expect(parsed.messages[1].content).toEqual([
      { type: "reasoning", text: "Let me think.", providerMetadata: { anthropic: { signature: "sig_abc" } } },
      { type: "reasoning", text: "", providerMetadata: { anthropic: { redactedData: "ENCRYPTED" } } },
      { type: "text", text: "Hello." },
    ]);
  });

  test("unknown block types are dropped with a warning naming where they were", () => {
    const parsed = parse({ messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "container_upload", file_id: "f" }] }] });
    expect(parsed.messages[0].content).toEqual([{ type: "text", text: "a" }]);
    expect(parsed.warnings).toEqual([{ parameter: "messages.0.content.1.type", message: expect.stringContaining("container_upload") }]);
  });
});

describe("parseAnthropicMessagesRequest: parameters", () => {
  test("sampling, limits, stream and metadata are carried", () => {
    expect(
      parse({ max_tokens: 77, temperature: 0.2, top_p: 0.8, top_k: 5, stop_sequences: ["END"], stream: true, metadata: { user_id: "u-1" } }),
    ).toMatchObject({ maxOutputTokens: 77, temperature: 0.2, topP: 0.8, topK: 5, stopSequences: ["END"], stream: true, userId: "u-1" });
    expect(parse({ stop_sequences: [] }).stopSequences).toBeUndefined();
    expect(parse({}).stream).toBe(false);
  });

  const thinkingCases: Array<[unknown, unknown, boolean]> = [
    [{ type: "enabled", budget_tokens: 2048 }, { type: "enabled", budgetTokens: 2048 }, false],
    [{ type: "adaptive" }, { type: "adaptive" }, false],
    [{ type: "disabled" }, { type: "disabled" }, false],
    [{ type: "turbo" }, { type: "adaptive" }, true],
    [undefined, undefined, false],
  ];
  for (const [thinking, expected, warns] of thinkingCases) {
    test(`thinking ${JSON.stringify(thinking)}`, () => {
      const parsed = parse({ thinking });
      expect(parsed.thinking).toEqual(expected as never);
      expect(parsed.warnings.some((warning) => warning.parameter === "thinking.type")).toBe(warns);
    });
  }

  test("output_config.effort: known values are kept, unknown and null are dropped", () => {
    for (const effort of ["low", "medium", "high", "xhigh", "max"]) expect(parse({ output_config: { effort } }).effort).toBe(effort as never);
    expect(parse({ output_config: { effort: "ultra" } }).effort).toBeUndefined();
    expect(parse({ output_config: { effort: null } }).effort).toBeUndefined();
  });

  test("mcp_servers, container and server tools are kept raw and the claude backend warns; client tools, empty tools and unknown fields do not", () => {
    expect(adaptRequestForClaude(parse({ tools: [], some_future_field: 1, context_management: { edits: [] } })).warnings).toEqual([]);
    const parsed = parse({
      tools: [{ name: "f", input_schema: { type: "object" } }, { type: "web_search_20250305", name: "web_search" }],
      mcp_servers: [{ type: "url", url: "https://x", name: "x" }],
      container: "c_1",
      output_config: { format: { type: "json_schema", schema: {} } },
    });
    expect(parsed.providerTools).toEqual([{ provider: "anthropic", type: "web_search_20250305", parameter: "tools.1", raw: { type: "web_search_20250305", name: "web_search" } }]);
    expect(parsed.providerOptions?.anthropic).toMatchObject({ container: "c_1" });
    expect(adaptRequestForClaude(parsed).warnings.map((warning) => warning.parameter).sort()).toEqual(["container", "mcp_servers", "tools.1"]);
    expect(parsed.tools).toEqual([{ name: "f", description: undefined, inputSchema: { type: "object" } }]);
    expect(parsed.responseFormat).toEqual({ type: "json", schema: {} });
  });
});

describe("parseAnthropicMessagesRequest: cache breakpoints", () => {
  test("cache_control on system blocks, content blocks and tools is carried as cacheControl", () => {
    const parsed = parse({
      system: [{ type: "text", text: "You are terse." }, { type: "text", text: "Project notes.", cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }],
      tools: [{ name: "f", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } }],
    });
    expect(parsed.system).toBe("You are terse.\n\nProject notes.");
    expect(parsed.systemParts).toEqual([{ text: "You are terse." }, { text: "Project notes.", cacheControl: { type: "ephemeral", ttl: "1h" } }]);
    expect(parsed.messages[0].content).toEqual([{ type: "text", text: "hi", cacheControl: { type: "ephemeral" } }]);
    expect(parsed.tools?.[0].cacheControl).toEqual({ type: "ephemeral" });
  });
});
