import { describe, expect, test } from "bun:test";
import { invalidPatternReason, modelMatchesPattern, parseRouteTarget, resolveRoute, type RouteTable } from "../../src/router/route-table.ts";

const table: RouteTable = {
  routes: [
    { pattern: "opus", targets: [parseRouteTarget("openrouter/openai/gpt-5.4")] },
    { pattern: "sonnet", targets: [parseRouteTarget("openrouter/openai/gpt-5.4-mini"), parseRouteTarget("local/qwen3:8b")] },
    { pattern: "claude-haiku-*", targets: [parseRouteTarget("local/qwen3:8b")] },
    { pattern: "gpt-*", targets: [parseRouteTarget("claude/sonnet")] },
    { pattern: "claude-sonnet-4-5", targets: [parseRouteTarget("local")] },
  ],
  defaultTargets: [parseRouteTarget("claude")],
  providers: ["openrouter", "local", "claude"],
};

describe("parseRouteTarget", () => {
  test("the model part may contain slashes; a bare provider keeps the client's model", () => {
    expect(parseRouteTarget("openrouter/openai/gpt-5.4")).toEqual({ provider: "openrouter", model: "openai/gpt-5.4" });
    expect(parseRouteTarget("claude")).toEqual({ provider: "claude" });
  });
});

describe("resolveRoute", () => {
  const cases: Array<[string, string, string[]]> = [
    ["opus", "opus", ["openrouter/openai/gpt-5.4"]],
    ["claude-opus-4-7", "opus", ["openrouter/openai/gpt-5.4"]],
    ["claude-sonnet-5", "sonnet", ["openrouter/openai/gpt-5.4-mini", "local/qwen3:8b"]],
    ["claude-3-5-haiku-latest", "default", ["claude/claude-3-5-haiku-latest"]],
    ["claude-haiku-4-5", "claude-haiku-*", ["local/qwen3:8b"]],
    ["gpt-4o", "gpt-*", ["claude/sonnet"]],
    // An exact name wins over an earlier pattern that also matches it.
    ["claude-sonnet-4-5", "claude-sonnet-4-5", ["local/claude-sonnet-4-5"]],
    // A client may name a configured provider directly; the model part keeps its slashes.
    ["openrouter/anthropic/claude-3.7", "openrouter/", ["openrouter/anthropic/claude-3.7"]],
    ["unknown/thing", "default", ["claude/unknown/thing"]],
    ["llama3", "default", ["claude/llama3"]],
  ];
  for (const [model, matched, targets] of cases) {
    test(`${model} -> ${targets.join(", ")}`, () => {
      const route = resolveRoute(table, model);
      expect(route.matched).toBe(matched);
      expect(route.targets.map((target) => `${target.provider}/${target.model}`)).toEqual(targets);
    });
  }
});

describe("model patterns", () => {
  test("* matches any characters, slashes included; matching ignores case", () => {
    expect(modelMatchesPattern("openai/gpt-5", "*")).toBe(true);
    expect(modelMatchesPattern("GPT-4o", "gpt-*")).toBe(true);
    expect(modelMatchesPattern("my-gpt-4o", "gpt-*")).toBe(false);
    expect(modelMatchesPattern("a.b", "a*b")).toBe(true);
    expect(modelMatchesPattern("axb", "a.b")).toBe(false);
  });

  test("only * is a wildcard: other glob syntax is reported", () => {
    expect(invalidPatternReason("gpt-*")).toBeUndefined();
    expect(invalidPatternReason("gpt-?")).toContain("only *");
    expect(invalidPatternReason("gpt-[45]")).toContain("only *");
    expect(invalidPatternReason("gpt-**")).toContain("**");
    expect(invalidPatternReason(" ")).toContain("empty");
  });
});
