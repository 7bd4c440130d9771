import { describe, expect, test } from "bun:test";
import { adaptRequestForClaude } from "../../src/backends/claude/adapt-request-for-claude.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import { parseOpenAIResponsesRequest } from "../../src/protocols/openai-responses/parse-request.ts";
import { encodeReasoningEncryptedContent } from "../../src/protocols/openai-responses/reasoning-encrypted-content.ts";
import type { OpenAIResponsesRequest } from "../../src/protocols/openai-responses/schema.ts";
import type { StoredConversation } from "../../src/store/response-store.ts";

/** Bodies are written as clients send them; the schema's static type does not list the open fields. */
const parse = (body: Record<string, unknown>, previous?: StoredConversation) =>
  parseOpenAIResponsesRequest({ model: "sonnet", input: "hi", ...body } as OpenAIResponsesRequest, previous);

/** The request as the claude backend carries it, with the warnings it gives. */
const forClaude = (body: Record<string, unknown>) => adaptRequestForClaude(parse(body).relayRequest);

/** The RelayError a parse throws (fails the test if it does not throw one). */
function parseError(body: Record<string, unknown>): RelayError {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof RelayError) return error;
    throw error;
  }
  throw new Error("expected a RelayError");
}

const pngBase64 = "iVBORw0KGgo=";

describe("parseOpenAIResponsesRequest: input", () => {
  test("a string is one user turn", () => {
    expect(parse({ input: "Hello" }).relayRequest.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hello" }] }]);
  });

  test("instructions first, then system and developer messages, joined into the system prompt; only the messages are part of the conversation", () => {
    const parsed = parse({
      instructions: "Be brief.",
      input: [
        { role: "system", content: "You are a pirate." },
        { type: "message", role: "developer", content: [{ type: "input_text", text: "Say arr." }] },
        { role: "user", content: "Hello" },
      ],
    });
    expect(parsed.relayRequest.system).toBe("Be brief.\n\nYou are a pirate.\n\nSay arr.");
    expect(parsed.conversation.systemTexts).toEqual(["You are a pirate.", "Say arr."]);
  });

  test("a previous conversation comes first; its system texts stay, its instructions do not", () => {
    const previous: StoredConversation = {
      systemTexts: ["Stored developer text."],
      messages: [
        { role: "user", content: [{ type: "text", text: "Earlier question" }] },
        { role: "assistant", content: [{ type: "text", text: "Earlier answer" }] },
      ],
    };
    const parsed = parse({ instructions: "New instructions.", input: "Next question" }, previous);
    expect(parsed.relayRequest.system).toBe("New instructions.\n\nStored developer text.");
    expect(parsed.relayRequest.messages.map((message) => [message.role, (message.content[0] as { text: string }).text])).toEqual([
      ["user", "Earlier question"],
      ["assistant", "Earlier answer"],
      ["user", "Next question"],
    ]);
    expect(parsed.conversation.messages).toEqual(parsed.relayRequest.messages);
  });

  test("function_call and function_call_output items are tool calls and results keyed by call_id", () => {
    const { messages } = parse({
      input: [
        { role: "user", content: "Weather?" },
        { type: "function_call", id: "fc_1", call_id: "toolu_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "toolu_1", output: [{ type: "input_text", text: "3C" }, { type: "input_image", image_url: `data:image/png;base64,${pngBase64}` }] },
      ],
    }).relayRequest;
    expect(messages.slice(1)).toEqual([
      { role: "assistant", content: [{ type: "tool-call", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } }] },
      {
        role: "user",
        content: [
          {
            type: "tool-result",
            toolCallId: "toolu_1",
            isError: false,
            content: [
              { type: "text", text: "3C" },
              { type: "image", source: { kind: "base64", mediaType: "image/png", data: pngBase64 } },
            ],
          },
        ],
      },
    ]);
  });

  test("function call arguments that are not JSON are a 400 naming the item", () => {
    const error = parseError({ input: [{ type: "function_call", call_id: "toolu_1", name: "f", arguments: "{oops" }, { role: "user", content: "x" }] });
    expect(error.status).toBe(400);
    expect(error.param).toBe("input.0.arguments");
  });

  test("images by data URL and by URL; files as PDF data URL, plain base64, text, URL; file_id is a 400", () => {
    const { messages } = parse({
      input: [
        {
          role: "user",
          content: [
            { type: "input_image", image_url: `data:image/png;base64,${pngBase64}` },
            { type: "input_image", image_url: "https://example.com/a.png" },
            { type: "input_file", filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERg==" },
            { type: "input_file", file_data: "JVBERg==" },
            { type: "input_file", filename: "notes.txt", file_data: `data:text/plain;base64,${Buffer.from("hello").toString("base64")}` },
            { type: "input_file", file_url: "https://example.com/b.pdf" },
          ],
        },
      ],
    }).relayRequest;
    expect(messages[0].content).toEqual([
      { type: "image", source: { kind: "base64", mediaType: "image/png", data: pngBase64 } },
      { type: "image", source: { kind: "url", url: "https://example.com/a.png" } },
      { type: "document", source: { kind: "base64", mediaType: "application/pdf", data: "JVBERg==" }, title: "a.pdf" },
      { type: "document", source: { kind: "base64", mediaType: "application/pdf", data: "JVBERg==" }, title: undefined },
      { type: "document", source: { kind: "text", mediaType: "text/plain", data: "hello" }, title: "notes.txt" },
      { type: "document", source: { kind: "url", url: "https://example.com/b.pdf" }, title: undefined },
    ]);
    expect(parseError({ input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1" }] }] }).param).toBe("input.0.content.0.file_id");
  });

  test("a reasoning item the relay issued becomes signed thinking; a foreign one is dropped with a warning", () => {
    const ours = { type: "reasoning", id: "rs_1", summary: [], content: [{ type: "reasoning_text", text: "Let me think." }], encrypted_content: encodeReasoningEncryptedContent({ signature: "sig_1" }) };
    const foreign = { type: "reasoning", id: "rs_2", summary: [{ type: "summary_text", text: "Thought." }], encrypted_content: "gAAAAB-openai-blob" };
    const parsed = parse({ input: [{ role: "user", content: "Q" }, ours, foreign, { role: "assistant", content: "A" }, { role: "user", content: "Q2" }] });
    expect(parsed.relayRequest.messages[1]).toEqual({ role: "assistant", content: [{ type: "reasoning", text: "Let me think.", providerMetadata: { anthropic: { signature: "sig_1", redactedData: undefined } } }] });
    expect(parsed.relayRequest.messages).toHaveLength(4);
    expect(parsed.relayRequest.warnings.map((warning) => warning.parameter)).toEqual(["input.2"]);
  });

  test("unknown item types are dropped with a warning; item_reference is a 400", () => {
    const parsed = parse({ input: [{ type: "web_search_call", id: "ws_1", status: "completed" }, { role: "user", content: "hi" }] });
    expect(parsed.relayRequest.warnings).toEqual([{ parameter: "input.0.type", message: 'input item type "web_search_call" is not supported and was dropped' }]);
    expect(parseError({ input: [{ type: "item_reference", id: "msg_1" }] }).param).toBe("input.0.type");
  });

  test("input items get ids (kept when given) and string content becomes content parts, for input_items", () => {
    const { inputItems } = parse({ input: [{ role: "user", content: "one" }, { type: "message", id: "msg_given", role: "assistant", content: "two" }, { role: "user", content: "three" }] });
    expect(inputItems[0]).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "one" }] });
    expect(inputItems[0].id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(inputItems[1]).toMatchObject({ id: "msg_given", content: [{ type: "output_text", text: "two" }] });
  });

  test("no input and no previous conversation is a 400", () => {
    expect(parseError({ input: [] }).param).toBe("input");
  });
});

describe("parseOpenAIResponsesRequest: parameters", () => {
  const weather = { type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true };

  test("function tools become tool definitions; every other tool is kept raw; the claude backend drops those with a warning", () => {
    const body = { tools: [weather, { type: "web_search" }, { type: "namespace", name: "crm", tools: [] }, { type: "custom", name: "apply_patch" }] };
    const parsed = parse(body);
    expect(parsed.relayRequest.tools).toEqual([{ name: "get_weather", description: "Weather", inputSchema: weather.parameters }]);
    expect(parsed.relayRequest.providerTools?.map((tool) => [tool.provider, tool.type, tool.parameter])).toEqual([
      ["openai", "web_search", "tools.1"],
      ["openai", "namespace", "tools.2"],
      ["openai", "custom", "tools.3"],
    ]);
    expect(forClaude(body).warnings.map((warning) => warning.parameter)).toEqual(["tools.1.type", "tools.2.type", "tools.3.type"]);
  });

  test.each([
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    ["required", { type: "required" }],
    [{ type: "function", name: "get_weather" }, { type: "tool", name: "get_weather" }],
    [{ type: "allowed_tools", mode: "required", tools: [] }, { type: "required" }],
    [{ type: "web_search_preview" }, { type: "auto" }],
  ] as const)("tool_choice %j -> %j", (choice, expected) => {
    expect(parse({ tools: [weather], tool_choice: choice }).relayRequest.toolChoice).toEqual(expected as any);
  });

  test("without function tools there is no tool choice and parallel_tool_calls carries through with tools", () => {
    expect(parse({ tool_choice: "required" }).relayRequest.toolChoice).toBeUndefined();
    expect(parse({ tools: [weather], parallel_tool_calls: false }).relayRequest.parallelToolCalls).toBe(false);
  });

  test("text.format: json_schema carries its schema and name, json_object any JSON, text nothing; a schema is required", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(parse({ text: { format: { type: "json_schema", name: "thing", schema, strict: true } } }).relayRequest.responseFormat).toEqual({ type: "json", schema, name: "thing" });
    expect(parse({ text: { format: { type: "json_object" } } }).relayRequest.responseFormat).toEqual({ type: "json" });
    expect(parse({ text: { format: { type: "text" } } }).relayRequest.responseFormat).toBeUndefined();
    expect(parseError({ text: { format: { type: "json_schema", name: "thing" } } }).param).toBe("text.format.schema");
  });

  test("reasoning.effort maps to thinking; max_output_tokens, top_p, safety_identifier carry; temperature above 1 is clamped with a warning", () => {
    expect(parse({ reasoning: { effort: "high" } }).relayRequest).toMatchObject({ thinking: { type: "adaptive" }, effort: "high" });
    expect(parse({ reasoning: { effort: "minimal" } }).relayRequest.thinking).toEqual({ type: "disabled" });
    const body = { max_output_tokens: 64, top_p: 0.5, temperature: 1.5, safety_identifier: "user-7" };
    expect(parse(body).relayRequest).toMatchObject({ maxOutputTokens: 64, topP: 0.5, temperature: 1.5, userId: "user-7" });
    const claude = forClaude(body);
    expect(claude.request.temperature).toBe(1);
    expect(claude.warnings.map((warning) => warning.parameter)).toEqual(["temperature"]);
  });

  test("store is true unless the client says false; stream only when true", () => {
    expect(parse({}).store).toBe(true);
    expect(parse({ store: false }).store).toBe(false);
    expect(parse({ stream: true }).relayRequest.stream).toBe(true);
    expect(parse({ stream: null }).relayRequest.stream).toBe(false);
  });

  test("conversation and prompt templates cannot be honoured: 400s naming them", () => {
    expect(parseError({ conversation: "conv_1" }).param).toBe("conversation");
    expect(parseError({ prompt: { id: "pmpt_1" } }).param).toBe("prompt");
  });

  test("background, top_logprobs, truncation auto and verbosity are accepted and reported", () => {
    const body = { background: true, top_logprobs: 3, truncation: "auto", text: { verbosity: "low" } };
    expect(parse(body).relayRequest).toMatchObject({ topLogprobs: 3, providerOptions: { openai: { background: true, truncation: "auto", "text.verbosity": "low" } } });
    expect(forClaude(body).warnings.map((warning) => warning.parameter).sort()).toEqual(["background", "text.verbosity", "top_logprobs", "truncation"]);
  });
});
