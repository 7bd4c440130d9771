/** The claude backend's model limits: aliases, dated and [1m] names, overrides, and the 400s they decide. */
import { describe, expect, test } from "bun:test";
import { canonicalClaudeModel, checkClaudeModelLimits, claudeModelLimits } from "../../src/backends/claude/claude-model-limits.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayRequest } from "../../src/core/relay-request.ts";

describe("canonicalClaudeModel", () => {
  const cases: Array<[string, string]> = [
    ["claude-haiku-4-5-20251001", "claude-haiku-4-5"],
    ["claude-sonnet-4-20250514", "claude-sonnet-4-0"],
    ["claude-opus-4", "claude-opus-4-0"],
    ["claude-opus-4-8[1m]", "claude-opus-4-8"],
    ["Claude-Sonnet-5", "claude-sonnet-5"],
    ["claude-3-5-haiku-latest", "claude-3-5-haiku"],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"],
    ["claude-opus-4-1@20250805", "claude-opus-4-1"],
    ["my-model", "my-model"],
  ];
  for (const [name, canonical] of cases) test(name, () => expect(canonicalClaudeModel(name)).toBe(canonical));
});

describe("claudeModelLimits", () => {
  const cases: Array<{ model: string | undefined; env?: Record<string, string>; limits: ReturnType<typeof claudeModelLimits> }> = [
    { model: "sonnet", limits: { model: "claude-sonnet-5", maxOutputTokens: 128_000, contextWindow: 200_000 } },
    { model: "sonnet[1m]", limits: { model: "claude-sonnet-5", maxOutputTokens: 128_000, contextWindow: 1_000_000 } },
    { model: "opusplan", limits: { model: "claude-sonnet-5", maxOutputTokens: 128_000, contextWindow: 200_000 } },
    { model: "haiku", limits: { model: "claude-haiku-4-5", maxOutputTokens: 64_000, contextWindow: 200_000 } },
    { model: "claude-opus-4-1-20250805", limits: { model: "claude-opus-4-1", maxOutputTokens: 32_000, contextWindow: 200_000 } },
    { model: "claude-3-5-haiku-20241022", limits: { model: "claude-3-5-haiku", maxOutputTokens: 8_192, contextWindow: 200_000 } },
    // The CLI's default model is Opus with the 1M window.
    { model: undefined, limits: { model: "claude-opus-4-8", maxOutputTokens: 128_000, contextWindow: 1_000_000 } },
    { model: "default", limits: { model: "claude-opus-4-8", maxOutputTokens: 128_000, contextWindow: 1_000_000 } },
    { model: undefined, env: { ANTHROPIC_MODEL: "claude-haiku-4-5" }, limits: { model: "claude-haiku-4-5", maxOutputTokens: 64_000, contextWindow: 200_000 } },
    // An alias the operator re-pointed has the limits of its new model.
    { model: "sonnet", env: { ANTHROPIC_DEFAULT_SONNET_MODEL: "claude-3-7-sonnet-20250219" }, limits: { model: "claude-3-7-sonnet", maxOutputTokens: 64_000, contextWindow: 200_000 } },
    { model: "sonnet", env: { ANTHROPIC_DEFAULT_SONNET_MODEL: "my-gateway-model" }, limits: { maxOutputTokens: 128_000 } },
    { model: "claude-foo-9", limits: { maxOutputTokens: 128_000 } },
  ];
  for (const { model, env, limits } of cases) test(`${model ?? "(CLI default)"} ${env ? JSON.stringify(env) : ""}`, () => expect(claudeModelLimits(model, env)).toEqual(limits));
});

describe("checkClaudeModelLimits", () => {
  const request = (fields: Partial<RelayRequest>): RelayRequest => ({ model: "haiku", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: false, warnings: [], ...fields });
  const failure = (run: () => void) => {
    try {
      run();
    } catch (error) {
      return error as RelayError;
    }
    return undefined;
  };
  const haiku = claudeModelLimits("haiku");

  test("output tokens up to the limit pass; one more is a 400 naming the client's parameter", () => {
    expect(failure(() => checkClaudeModelLimits(request({ maxOutputTokens: 64_000 }), haiku))).toBeUndefined();
    const error = failure(() => checkClaudeModelLimits(request({ maxOutputTokens: 64_001, maxOutputTokensParameter: "max_completion_tokens" }), haiku));
    expect(error).toMatchObject({ kind: "invalid_request", status: 400, param: "max_completion_tokens" });
    expect(error!.message).toBe("max_completion_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5.");
  });

  test("a prompt surely beyond the window is context_length_exceeded; one near it is left to the upstream", () => {
    // 3.5 characters a token: 1.6M characters estimate about 457000 tokens, more than twice the 200000 window.
    const tooLong = failure(() => checkClaudeModelLimits(request({ messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(1_600_000) }] }] }), haiku));
    expect(tooLong).toMatchObject({ kind: "invalid_request", status: 400, code: "context_length_exceeded" });
    expect(tooLong!.message).toMatch(/^prompt is too long: about \d+ tokens > 200000 maximum/);
    // About 257000 estimated tokens: perhaps too long, perhaps not; the upstream decides.
    expect(failure(() => checkClaudeModelLimits(request({ messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(900_000) }] }] }), haiku))).toBeUndefined();
    // The 1M window takes it.
    expect(failure(() => checkClaudeModelLimits(request({ messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(1_600_000) }] }] }), claudeModelLimits("haiku[1m]")))).toBeUndefined();
  });

  test("an unknown model's window is not guessed", () => {
    expect(failure(() => checkClaudeModelLimits(request({ messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(5_000_000) }] }] }), claudeModelLimits("my-model")))).toBeUndefined();
  });
});
