/**
 * Claude Code itself (the real CLI from node_modules) pointed at the relay with ANTHROPIC_BASE_URL, the relay
 * routing it to the fake OpenAI-compatible upstream: the model calls Claude Code's own Read tool on a file in a
 * temporary directory, Claude Code runs it and the turn continues with the result.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from "../support/fake-openai-upstream.ts";
import { startOpenAIProviderRelay, type OpenAIProviderRelay } from "../support/openai-provider-relay.ts";
import { runClaudeCodeClient } from "../support/claude-code-client.ts";

let upstream: FakeOpenAIUpstream;
let relay: OpenAIProviderRelay;
let clientHome: string;
let clientDirectory: string;

beforeAll(async () => {
  upstream = startFakeOpenAIUpstream();
  relay = await startOpenAIProviderRelay({
    config: () => `
providers:
  local:
    type: openai
    base_url: ${upstream.url}
models:
  opus: local/qwen3:8b
  sonnet: local/qwen3:8b
  haiku: local/qwen3:8b
default: local/qwen3:8b
`,
  });
  clientHome = mkdtempSync(join(tmpdir(), "claude-code-openai-home-"));
  clientDirectory = mkdtempSync(join(tmpdir(), "claude-code-openai-cwd-"));
});
afterAll(async () => {
  await relay.close();
  await upstream.stop();
  rmSync(clientHome, { recursive: true, force: true });
  rmSync(clientDirectory, { recursive: true, force: true });
});

test("Claude Code runs its own Read tool for a model behind an OpenAI-compatible provider and continues with the result", async () => {
  const notePath = join(clientDirectory, "note.txt");
  writeFileSync(notePath, "The secret word is pelican.\n");
  // Whatever Claude Code asks (it may make side requests), the model reads the file, then answers from its content.
  upstream.setDefault((body) => {
    const last = body.messages.at(-1);
    if (last?.role === "tool") return { kind: "text", chunks: ["The note says ", "the secret word is pelican."], usage: { prompt_tokens: 900, completion_tokens: 12 } };
    if (Array.isArray(body.tools) && body.tools.some((tool: any) => tool.function?.name === "Read")) {
      return { kind: "tool-calls", text: "Reading the note.", calls: [{ id: "call_read_1", name: "Read", arguments: JSON.stringify({ file_path: notePath }) }] };
    }
    return { kind: "text", chunks: ["ok"] };
  });

  const { messages, result, stderr, code } = await runClaudeCodeClient({ relayUrl: relay.url, prompt: "What does note.txt say?", cwd: clientDirectory, home: clientHome, allowedTools: ["Read"] });
  expect(code, stderr).toBe(0);
  expect(result).toMatchObject({ is_error: false, result: "The note says the secret word is pelican." });

  // Claude Code saw the provider's call of its Read tool, with the provider's id, and ran it itself.
  const toolUse = messages.flatMap((message) => (message.type === "assistant" ? message.message.content : [])).find((block: any) => block.type === "tool_use");
  expect(toolUse).toMatchObject({ id: "call_read_1", name: "Read", input: { file_path: notePath } });

  // The upstream was offered Claude Code's tools in OpenAI format, and got the file's content as the tool result.
  const calls = upstream.completionRequests();
  const withTools = calls.find((call) => call.body.tools?.some((tool: any) => tool.function?.name === "Read"))!;
  const read = withTools.body.tools.find((tool: any) => tool.function.name === "Read");
  expect(read).toMatchObject({ type: "function", function: { name: "Read", parameters: { type: "object", properties: { file_path: expect.any(Object) } } } });
  const continuation = calls.find((call) => call.body.messages.at(-1)?.role === "tool" || call.body.messages.some((message: any) => message.role === "tool"))!;
  const assistant = continuation.body.messages.find((message: any) => message.role === "assistant" && message.tool_calls);
  expect(assistant.tool_calls[0]).toMatchObject({ id: "call_read_1", type: "function", function: { name: "Read" } });
  const toolMessage = continuation.body.messages.find((message: any) => message.role === "tool");
  expect(toolMessage.tool_call_id).toBe("call_read_1");
  expect(toolMessage.content).toContain("The secret word is pelican.");
}, 120_000);
