/**
 * Compaction on a real Claude Code 2.1.197 request (captured from the CLI in print mode against the fake
 * Anthropic upstream, with a CLAUDE.md in its working directory), parsed by the relay's own parser.
 */
import { describe, expect, test } from "bun:test";
import { buildOpenAIChatRequest } from "../../src/backends/openai-compatible/build-openai-chat-request.ts";
import { compactSystemPrompt } from "../../src/backends/openai-compatible/compact-system-prompt.ts";
import { detectOpenAIDialect, type OpenAICompatibleOptions } from "../../src/backends/openai-compatible/openai-compatible-options.ts";
import { parseAnthropicMessagesRequest } from "../../src/protocols/anthropic-messages/parse-request.ts";
import captured from "../fixtures/claude-code-2.1.197/print-mode-request.json";

const request = parseAnthropicMessagesRequest(captured as never);
const system = request.system!;

function buildWith(systemPrompt: OpenAICompatibleOptions["systemPrompt"]) {
  const options: OpenAICompatibleOptions = { name: "local", baseUrl: "http://127.0.0.1:11434/v1", systemPrompt };
  return buildOpenAIChatRequest({ request, model: "qwen3:8b", options, dialect: detectOpenAIDialect(options), limits: undefined, maxCompletionTokens: false });
}

describe("compactSystemPrompt on Claude Code's system prompt", () => {
  test("boilerplate goes; identity, environment facts and unknown sections stay", () => {
    const { text } = compactSystemPrompt(system, { compact: true });
    expect(system).toContain("# Harness");
    expect(text).not.toContain("# Harness");
    expect(text).not.toContain("# Memory");
    expect(text).not.toContain("# Context management");
    expect(text).not.toContain("IMPORTANT: Assist with authorized security testing");
    expect(text).toContain("You are a Claude agent");
    expect(text).toContain("# Environment");
    expect(text).toContain("Primary working directory:");
    expect(text.length).toBeLessThan(system.length / 2);
    const custom = compactSystemPrompt(`${system}\n\n# Team rules\nAlways run the linter.`, { compact: true }).text;
    expect(custom).toContain("# Team rules\nAlways run the linter.");
  });

  test("the cap keeps the environment before anything else", () => {
    const capped = compactSystemPrompt(system, { compact: false, maxTokens: 400 });
    expect(capped.text.length).toBeLessThanOrEqual(1600);
    expect(capped.text).toContain("Primary working directory:");
    expect(capped.truncated).toBe(true);
    const tiny = compactSystemPrompt(system, { compact: true, maxTokens: 50 });
    expect(tiny.text.length).toBeLessThanOrEqual(200);
    expect(tiny.text.endsWith("[system prompt truncated]")).toBe(true);
  });

  test("through the backend: tools, CLAUDE.md in the user turn and the user's words are untouched", () => {
    const plain = buildWith(undefined).body;
    const compacted = buildWith({ compact: true, maxTokens: 1000 });
    expect(compacted.body.tools).toEqual(plain.tools!);
    expect(compacted.body.tools).toHaveLength(24);
    expect(compacted.body.messages.slice(1)).toEqual(plain.messages.slice(1));
    expect(JSON.stringify(compacted.body.messages.slice(1))).toContain("Always answer in French.");
    const before = (plain.messages[0] as { content: string }).content.length;
    const after = (compacted.body.messages[0] as { content: string }).content.length;
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThanOrEqual(4000);
  });

  test("off by default", () => {
    expect((buildWith(undefined).body.messages[0] as { content: string }).content).toBe(system);
  });
});
