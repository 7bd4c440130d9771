import { describe, expect, test } from "bun:test";
import { buildOpenAIChatRequest, reasoningEffortOf, toOpenAIResponseFormat, toOpenAIToolChoice } from "../../src/backends/openai-compatible/build-openai-chat-request.ts";
import { detectOpenAIDialect, requiresMaxCompletionTokens, type OpenAICompatibleOptions } from "../../src/backends/openai-compatible/openai-compatible-options.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayMessage, RelayRequest } from "../../src/core/relay-request.ts";

const pdf = { kind: "base64" as const, mediaType: "application/pdf", data: "JVBERi0=" };

function build(overrides: Partial<RelayRequest> = {}, options: Partial<OpenAICompatibleOptions> = {}, limits?: { maxOutputTokens?: number; contextWindow?: number }) {
  const provider: OpenAICompatibleOptions = { name: "prov", baseUrl: "https://api.example.com/v1", ...options };
  const request: RelayRequest = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: false, warnings: [], ...overrides };
  return buildOpenAIChatRequest({ request, model: "m", options: provider, dialect: detectOpenAIDialect(provider), limits, maxCompletionTokens: false });
}

describe("messages", () => {
  test("a tool round trip: calls with their ids, results as tool messages right after, images from tools in a user message", () => {
    const messages: RelayMessage[] = [
      { role: "user", content: [{ type: "text", text: "look" }, { type: "image", source: { kind: "url", url: "https://x/y.png" } }] },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "I should call both." },
          { type: "text", text: "Calling." },
          { type: "tool-call", id: "toolu_1", name: "screenshot", input: { page: 1 } },
          { type: "tool-call", id: "toolu_2", name: "read", input: { path: "a.txt" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool-result", toolCallId: "toolu_1", isError: false, content: [{ type: "text", text: "captured" }, { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBO" } }] },
          { type: "tool-result", toolCallId: "toolu_2", isError: true, content: [{ type: "text", text: "no such file" }] },
          { type: "text", text: "go on" },
        ],
      },
    ];
    const { body } = build({ messages });
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "https://x/y.png" } }] },
      {
        role: "assistant",
        content: "Calling.",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "screenshot", arguments: '{"page":1}' } },
          { id: "toolu_2", type: "function", function: { name: "read", arguments: '{"path":"a.txt"}' } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "captured" },
      { role: "tool", tool_call_id: "toolu_2", content: "Error: no such file" },
      {
        role: "user",
        content: [
          { type: "text", text: "Attachments returned by tool call toolu_1:" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBO" } },
          { type: "text", text: "go on" },
        ],
      },
    ]);
  });

  test("DeepSeek gets the reasoning of tool-calling turns back as reasoning_content; others do not", () => {
    const messages: RelayMessage[] = [
      { role: "user", content: [{ type: "text", text: "q" }] },
      { role: "assistant", content: [{ type: "reasoning", text: "plan" }, { type: "tool-call", id: "c1", name: "f", input: {} }] },
      { role: "user", content: [{ type: "tool-result", toolCallId: "c1", isError: false, content: [{ type: "text", text: "r" }] }] },
      { role: "assistant", content: [{ type: "reasoning", text: "final thoughts" }, { type: "text", text: "done" }] },
    ];
    const deepSeek = build({ messages }, { baseUrl: "https://api.deepseek.com/v1" }).body.messages;
    expect(deepSeek[1]).toMatchObject({ role: "assistant", reasoning_content: "plan" });
    expect(deepSeek[3]).toEqual({ role: "assistant", content: "done" });
    expect(build({ messages }).body.messages[1]).not.toHaveProperty("reasoning_content");
  });

  test("documents: text inline with its title, PDFs as file parts, never dropped", () => {
    const { body } = build({
      messages: [
        {
          role: "user",
          content: [
            { type: "document", title: "notes.txt", source: { kind: "text", mediaType: "text/plain", data: "remember this" } },
            { type: "document", source: { kind: "base64", mediaType: "text/markdown", data: Buffer.from("# md").toString("base64") } },
            { type: "document", title: "paper.pdf", source: pdf },
          ],
        },
      ],
    });
    expect(body.messages[0]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "notes.txt\n\nremember this" },
        { type: "text", text: "# md" },
        { type: "file", file: { filename: "paper.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
      ],
    });
  });

  test("a PDF for a provider configured pdf: text is a 400 naming the part, not a silent drop", () => {
    const attempt = () => build({ messages: [{ role: "user", content: [{ type: "text", text: "read" }, { type: "document", source: pdf }] }] }, { pdf: "text" });
    expect(attempt).toThrow(RelayError);
    try {
      attempt();
    } catch (error) {
      expect((error as RelayError).status).toBe(400);
      expect((error as RelayError).param).toBe("messages.0.content.1");
      expect((error as RelayError).message).toContain('Provider "prov" accepts documents as text only');
    }
  });
});

describe("parameters", () => {
  test("tools, tool choice and the parallel flag", () => {
    const tools = [{ name: "f", description: "does f", inputSchema: { type: "object", properties: {} } }];
    expect(build({ tools, toolChoice: { type: "tool", name: "f" }, parallelToolCalls: false }).body).toMatchObject({
      tools: [{ type: "function", function: { name: "f", description: "does f", parameters: { type: "object", properties: {} } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      parallel_tool_calls: false,
    });
    // A request that only disables parallel calls stays on the provider's default choice (auto).
    expect(build({ tools, parallelToolCalls: false }).body.tool_choice).toBeUndefined();
  });

  test.each([
    [{ type: "auto" } as const, "auto"],
    [{ type: "none" } as const, "none"],
    [{ type: "required" } as const, "required"],
    [{ type: "tool", name: "x" } as const, { type: "function", function: { name: "x" } }],
  ])("tool choice %j -> %j", (choice, expected) => {
    expect(toOpenAIToolChoice(choice)).toEqual(expected as never);
  });

  test("structured output", () => {
    expect(toOpenAIResponseFormat({ type: "json", schema: { type: "object" }, name: "answer" })).toEqual({ type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } });
    expect(toOpenAIResponseFormat({ type: "json" })).toEqual({ type: "json_object" });
  });

  test.each([
    [{ effort: "low" as const }, "low"],
    [{ effort: "medium" as const }, "medium"],
    [{ effort: "high" as const }, "high"],
    [{ effort: "xhigh" as const }, "xhigh"],
    [{ effort: "max" as const }, "xhigh"],
    [{ thinking: { type: "enabled" as const, budgetTokens: 1024 } }, "low"],
    [{ thinking: { type: "enabled" as const, budgetTokens: 8000 } }, "medium"],
    [{ thinking: { type: "enabled" as const, budgetTokens: 32_000 } }, "high"],
    [{ thinking: { type: "enabled" as const } }, "medium"],
    [{ thinking: { type: "adaptive" as const } }, undefined],
    [{ thinking: { type: "disabled" as const } }, undefined],
  ])("reasoning %j -> %s", (request, expected) => {
    expect(reasoningEffortOf(request)).toBe(expected);
  });

  test("OpenRouter takes reasoning: {effort} and top_k; others reasoning_effort and a warning for top_k", () => {
    const openRouter = build({ effort: "high", topK: 40 }, { baseUrl: "https://openrouter.ai/api/v1" });
    expect(openRouter.body).toMatchObject({ reasoning: { effort: "high" }, top_k: 40 });
    expect(openRouter.body.reasoning_effort).toBeUndefined();
    const plain = build({ effort: "high", topK: 40 });
    expect(plain.body.reasoning_effort).toBe("high");
    expect(plain.body.top_k).toBeUndefined();
    expect(plain.warnings).toEqual([{ parameter: "top_k", message: 'provider "prov" does not accept top_k; it was not sent' }]);
  });

  test("max_tokens is lowered to the output limit and to the context left after the input, never raised", () => {
    expect(build({ maxOutputTokens: 8000 }, {}, { maxOutputTokens: 4096 }).body.max_tokens).toBe(4096);
    expect(build({ maxOutputTokens: 100 }, {}, { maxOutputTokens: 4096 }).body.max_tokens).toBe(100);
    const long = "x".repeat(4000);
    const clamped = build({ maxOutputTokens: 5000, messages: [{ role: "user", content: [{ type: "text", text: long }] }] }, {}, { contextWindow: 3000 });
    expect(clamped.body.max_tokens).toBeLessThan(1900);
    expect(clamped.body.max_tokens).toBeGreaterThan(1800);
    expect(clamped.warnings[0]?.parameter).toBe("max_tokens");
    expect(build({}).body.max_tokens).toBeUndefined();
  });

  test("seed and penalties pass through; n > 1 is a 400; what cannot be sent is a warning, not a silent drop", () => {
    const built = build({
      seed: 7,
      frequencyPenalty: 0.5,
      presencePenalty: -0.5,
      logprobs: true,
      metadata: { team: "a" },
      serviceTier: "flex",
      providerTools: [{ provider: "anthropic", type: "web_search_20250305", parameter: "tools.1", raw: {} }],
      providerOptions: { openai: { logit_bias: { "50256": -100 }, "text.verbosity": "low", audio: { voice: "alloy" } } },
    });
    expect(built.body).toMatchObject({ seed: 7, frequency_penalty: 0.5, presence_penalty: -0.5, logit_bias: { "50256": -100 }, verbosity: "low" });
    expect(built.body).not.toHaveProperty("metadata");
    expect(built.body).not.toHaveProperty("audio");
    expect(built.warnings.map((warning) => warning.parameter).sort()).toEqual(["audio", "logprobs", "metadata", "service_tier", "tools.1"]);
    const openAI = build({ metadata: { team: "a" }, serviceTier: "flex" }, { baseUrl: "https://api.openai.com/v1" });
    expect(openAI.body).toMatchObject({ metadata: { team: "a" }, service_tier: "flex" });
    expect(() => build({ choiceCount: 2 })).toThrow("n = 2 is not supported");
    expect(build({ choiceCount: 1 }).body).not.toHaveProperty("n");
  });

  test("an end-user id longer than OpenAI's 64 characters (Claude Code's) is sent as its hash", () => {
    expect(build({ userId: "u-1" }).body.user).toBe("u-1");
    const long = JSON.stringify({ device_id: "f".repeat(64), account_uuid: "", session_id: "8b1d24de-daa4-4de3-8c6f-3648cc822421" });
    const sent = build({ userId: long }).body.user!;
    expect(sent).toHaveLength(64);
    expect(sent).toBe(build({ userId: long }).body.user!);
    expect(sent).not.toBe(build({ userId: long + "x" }).body.user!);
  });

  test.each([
    ["o1", true],
    ["o3-mini", true],
    ["o4-mini", true],
    ["gpt-5", true],
    ["openai/gpt-5.4-mini", true],
    ["gpt-4o", false],
    ["qwen3:8b", false],
    ["deepseek/deepseek-r1", false],
  ])("%s requires max_completion_tokens: %s", (model, expected) => {
    expect(requiresMaxCompletionTokens(model)).toBe(expected);
  });
});
