import { describe, expect, test } from "bun:test";
import { filterBedrockBetas } from "../../../src/backends/bedrock/filter-bedrock-betas.ts";
import { bedrockBaseModelId, buildBedrockModelPath, isAnthropicBedrockModel, suggestInferenceProfileId } from "../../../src/backends/bedrock/bedrock-model-path.ts";
import { moveTopLevelCacheControl, prepareBedrockAnthropicBody } from "../../../src/backends/bedrock/prepare-bedrock-anthropic-body.ts";

describe("filterBedrockBetas", () => {
  test("Claude Code's Anthropic-only flags are dropped, Bedrock's kept, from comma lists and repeated values", () => {
    const result = filterBedrockBetas(
      ["claude-code-20250219,interleaved-thinking-2025-05-14", "oauth-2025-04-20, fine-grained-tool-streaming-2025-05-14", "prompt-caching-scope-2026-01-05"],
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
    expect(result.kept).toEqual(["interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14"]);
    expect(result.dropped).toEqual(["claude-code-20250219", "oauth-2025-04-20", "prompt-caching-scope-2026-01-05"]);
  });

  test("model-gated flags pass only for their models", () => {
    expect(filterBedrockBetas(["effort-2025-11-24"], "anthropic.claude-opus-4-5-20251101-v1:0").kept).toEqual(["effort-2025-11-24"]);
    expect(filterBedrockBetas(["effort-2025-11-24"], "anthropic.claude-sonnet-4-5-20250929-v1:0").dropped).toEqual(["effort-2025-11-24"]);
    expect(filterBedrockBetas(["context-1m-2025-08-07"], "anthropic.claude-sonnet-4-20250514-v1:0").kept).toEqual(["context-1m-2025-08-07"]);
    expect(filterBedrockBetas(["context-1m-2025-08-07"], "anthropic.claude-3-5-haiku-20241022-v1:0").kept).toEqual([]);
  });

  test("a provider's own list replaces the table", () => {
    const result = filterBedrockBetas(["interleaved-thinking-2025-05-14", "new-flag-2027-01-01"], "anthropic.claude-sonnet-4-5-20250929-v1:0", ["new-flag-2027-01-01"]);
    expect(result).toEqual({ kept: ["new-flag-2027-01-01"], dropped: ["interleaved-thinking-2025-05-14"] });
  });
});

describe("Bedrock model ids", () => {
  const cases: Array<[string, string, string, boolean]> = [
    ["anthropic.claude-sonnet-4-5-20250929-v1:0", "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", "anthropic.claude-sonnet-4-5-20250929-v1:0", true],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", "anthropic.claude-sonnet-4-5-20250929-v1:0", true],
    ["global.anthropic.claude-opus-4-5-20251101-v1:0", "/model/global.anthropic.claude-opus-4-5-20251101-v1%3A0/invoke", "anthropic.claude-opus-4-5-20251101-v1:0", true],
    [
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0",
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke",
      "anthropic.claude-haiku-4-5-20251001-v1:0",
      true,
    ],
    ["meta.llama3-3-70b-instruct-v1:0", "/model/meta.llama3-3-70b-instruct-v1%3A0/invoke", "meta.llama3-3-70b-instruct-v1:0", false],
    ["us.amazon.nova-pro-v1:0", "/model/us.amazon.nova-pro-v1%3A0/invoke", "amazon.nova-pro-v1:0", false],
  ];
  for (const [id, path, base, anthropic] of cases) {
    test(id, () => {
      expect(buildBedrockModelPath(id, "invoke")).toBe(path);
      expect(bedrockBaseModelId(id)).toBe(base);
      expect(isAnthropicBedrockModel(id)).toBe(anthropic);
    });
  }

  test("the inference profile to suggest follows the region's geography", () => {
    expect(suggestInferenceProfileId("anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2")).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(suggestInferenceProfileId("anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-1")).toBe("eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(suggestInferenceProfileId("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1")).toBeUndefined();
  });
});

describe("prepareBedrockAnthropicBody", () => {
  const clientBody = {
    model: "claude-sonnet-4-5",
    stream: true,
    max_tokens: 1024,
    metadata: { user_id: "u1" },
    service_tier: "auto",
    system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } }, { type: "text", text: "hi" }] }],
    tools: [{ name: "Read", input_schema: { type: "object" } }],
    thinking: { type: "enabled", budget_tokens: 2048 },
    some_future_field: { kept: true },
  };

  test("envelope: version and filtered betas in, model/stream/unsupported fields out, everything else unchanged", () => {
    const prepared = prepareBedrockAnthropicBody({ body: clientBody, betas: ["claude-code-20250219,interleaved-thinking-2025-05-14"], baseModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0" });
    expect(prepared.body).toEqual({
      anthropic_version: "bedrock-2023-05-31",
      anthropic_beta: ["interleaved-thinking-2025-05-14"],
      max_tokens: 1024,
      system: clientBody.system,
      messages: clientBody.messages,
      tools: clientBody.tools,
      thinking: clientBody.thinking,
      some_future_field: { kept: true },
    });
    expect(prepared.droppedBetas).toEqual(["claude-code-20250219"]);
    expect(prepared.droppedFields).toEqual(["metadata", "service_tier"]);
    expect(clientBody.model).toBe("claude-sonnet-4-5");
  });

  test("no beta left: no anthropic_beta key at all (Bedrock refuses an empty list on some models)", () => {
    expect("anthropic_beta" in prepareBedrockAnthropicBody({ body: clientBody, betas: ["claude-code-20250219"], baseModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0" }).body).toBe(false);
  });

  test("context_management stays only when its beta is kept", () => {
    const body = { ...clientBody, context_management: { edits: [] } };
    expect("context_management" in prepareBedrockAnthropicBody({ body, betas: [], baseModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0" }).body).toBe(false);
    expect("context_management" in prepareBedrockAnthropicBody({ body, betas: ["context-management-2025-06-27"], baseModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0" }).body).toBe(true);
  });
});

describe("moveTopLevelCacheControl", () => {
  const marker = { type: "ephemeral", ttl: "1h" };

  test("onto the last block of the last message, skipping a trailing thinking block", () => {
    const body: Record<string, any> = {
      cache_control: marker,
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: [{ type: "text", text: "ok" }, { type: "thinking", thinking: "t", signature: "s" }] },
      ],
    };
    expect(moveTopLevelCacheControl(body)).toBe(true);
    expect(body.cache_control).toBeUndefined();
    expect(body.messages[1].content[0]).toEqual({ type: "text", text: "ok", cache_control: marker });
    expect(body.messages[1].content[1].cache_control).toBeUndefined();
  });

  test("a string message becomes a text block carrying the marker", () => {
    const body: Record<string, any> = { cache_control: marker, messages: [{ role: "user", content: "hello" }] };
    moveTopLevelCacheControl(body);
    expect(body.messages[0].content).toEqual([{ type: "text", text: "hello", cache_control: marker }]);
  });

  test("an existing block marker is kept as the client set it", () => {
    const own = { type: "ephemeral" };
    const body: Record<string, any> = { cache_control: marker, messages: [{ role: "user", content: [{ type: "text", text: "x", cache_control: own }] }] };
    moveTopLevelCacheControl(body);
    expect(body.messages[0].content[0].cache_control).toBe(own);
  });

  test("without a top-level marker nothing changes", () => {
    const body = { messages: [{ role: "user", content: "x" }] };
    expect(moveTopLevelCacheControl(body)).toBe(false);
    expect(body).toEqual({ messages: [{ role: "user", content: "x" }] });
  });
});
