import { describe, expect, test } from "bun:test";
import { ConverseStreamMapper, converseResponseAsStreamEvents, mapConverseStopReason } from "../../../src/backends/bedrock/map-converse-stream-events.ts";
import { toBedrockConverseBody } from "../../../src/backends/bedrock/to-bedrock-converse-body.ts";
import { RelayError } from "../../../src/core/relay-error.ts";
import type { RelayRequest } from "../../../src/core/relay-request.ts";

const base: RelayRequest = { model: "meta.llama3-3-70b-instruct-v1:0", messages: [], stream: true, warnings: [] };

describe("toBedrockConverseBody", () => {
  test("text, image, document, tool call and result, cache points, tools and choice", () => {
    const { body, warnings } = toBedrockConverseBody({
      ...base,
      systemParts: [{ text: "be brief", cacheControl: { type: "ephemeral" } }],
      system: "be brief",
      maxOutputTokens: 300,
      temperature: 0.2,
      topK: 40,
      stopSequences: ["END"],
      tools: [{ name: "Read", description: "read a file", inputSchema: { type: "object" }, cacheControl: { type: "ephemeral" } }],
      toolChoice: { type: "tool", name: "Read" },
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look", cacheControl: { type: "ephemeral" } },
            { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
            { type: "document", title: "report.pdf", source: { kind: "base64", mediaType: "application/pdf", data: "JVBERi0=" } },
          ],
        },
        { role: "assistant", content: [{ type: "tool-call", id: "call_1", name: "Read", input: { path: "a" } }] },
        { role: "user", content: [{ type: "tool-result", toolCallId: "call_1", content: [{ type: "text", text: "contents" }], isError: false }] },
      ],
    });
    expect(body).toEqual({
      system: [{ text: "be brief" }, { cachePoint: { type: "default" } }],
      messages: [
        {
          role: "user",
          content: [
            { text: "look" },
            { cachePoint: { type: "default" } },
            { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } },
            { document: { format: "pdf", name: "report pdf", source: { bytes: "JVBERi0=" } } },
          ],
        },
        { role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "Read", input: { path: "a" } } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "contents" }], status: "success" } }] },
      ],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, stopSequences: ["END"] },
      additionalModelRequestFields: { top_k: 40 },
      toolConfig: {
        tools: [{ toolSpec: { name: "Read", description: "read a file", inputSchema: { json: { type: "object" } } } }, { cachePoint: { type: "default" } }],
        toolChoice: { tool: { name: "Read" } },
      },
    });
    expect(warnings).toEqual([]);
  });

  test("an image URL is a 400 naming the part (Converse takes bytes only)", () => {
    let thrown: unknown;
    try {
      toBedrockConverseBody({ ...base, messages: [{ role: "user", content: [{ type: "image", source: { kind: "url", url: "https://example.org/a.png" } }] }] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RelayError);
    expect((thrown as RelayError).status).toBe(400);
    expect((thrown as RelayError).param).toBe("messages.0.content.0");
  });

  test("what Converse cannot honour is a warning", () => {
    const { warnings } = toBedrockConverseBody({ ...base, seed: 1, responseFormat: { type: "json" }, messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] });
    expect(warnings.map((warning) => warning.parameter)).toEqual(["response_format", "seed"]);
  });
});

describe("ConverseStreamMapper", () => {
  test("text, a tool call and usage from the metadata event", () => {
    const mapper = new ConverseStreamMapper("meta.llama");
    const events = [
      ["messageStart", { role: "assistant" }],
      ["contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hel" } }],
      ["contentBlockDelta", { contentBlockIndex: 0, delta: { text: "lo" } }],
      ["contentBlockStop", { contentBlockIndex: 0 }],
      ["contentBlockStart", { contentBlockIndex: 1, start: { toolUse: { toolUseId: "t1", name: "Read" } } }],
      ["contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":1}' } } }],
      ["contentBlockStop", { contentBlockIndex: 1 }],
      ["messageStop", { stopReason: "tool_use" }],
      ["metadata", { usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 2, cacheWriteInputTokens: 1 } }],
    ].flatMap(([type, payload]) => mapper.map(type as string, payload as Record<string, any>));
    expect(events.map((event) => event.type)).toEqual(["stream-start", "text-start", "text-delta", "text-delta", "text-end", "tool-input-start", "tool-input-delta", "tool-input-end", "finish"]);
    expect(events.at(-1)).toMatchObject({ finishReason: { unified: "tool-calls", raw: "tool_use" }, usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 2, cacheCreationInputTokens: 1 } });
  });

  test("a complete Converse answer maps like its stream", () => {
    const mapper = new ConverseStreamMapper("amazon.nova");
    const events = converseResponseAsStreamEvents({ output: { message: { content: [{ text: "ok" }] } }, stopReason: "max_tokens", usage: { inputTokens: 1, outputTokens: 2 } }).flatMap(([type, payload]) => mapper.map(type, payload));
    expect(events.at(-1)).toMatchObject({ type: "finish", finishReason: { unified: "length", raw: "max_tokens" } });
  });

  test("stop reasons, unknown ones kept raw", () => {
    expect(mapConverseStopReason("end_turn").unified).toBe("stop");
    expect(mapConverseStopReason("guardrail_intervened").unified).toBe("content-filter");
    expect(mapConverseStopReason("something_new")).toEqual({ unified: "other", raw: "something_new" });
  });
});
