/**
 * Claude Code itself (the real CLI) pointed at the relay, routed to an Anthropic provider (the project's fake
 * Anthropic upstream) and, separately, to Bedrock (the fake Bedrock): each completes a turn in which the model
 * calls one of Claude Code's own tools (Read on a file in a temporary directory), Claude Code runs it, and
 * the turn continues with the result.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRoutedRelay, type BackendRelay } from "../support/backend-relay.ts";
import { startFakeUpstream } from "../support/fake-anthropic-upstream.ts";
import { startFakeBedrock } from "../support/fake-bedrock.ts";
import { runClaudeCodeClient } from "../support/claude-code-client.ts";

const upstream = startFakeUpstream();
const bedrock = startFakeBedrock({ bearerTokens: ["bedrock-key"] });
let anthropicRelay: BackendRelay;
let bedrockRelay: BackendRelay;
let clientHome: string;
let clientDirectory: string;
const marker = `marker-${crypto.randomUUID()}`;

function relayFor(provider: "anthropic" | "bedrock"): BackendRelay {
  if (provider === "anthropic") {
    return startRoutedRelay(`providers:\n  anthropic: { type: anthropic, base_url: "${upstream.url}", api_key: sk-ant-provider }\ndefault: anthropic/claude-sonnet-4-5-20250929\n`);
  }
  return startRoutedRelay(`providers:\n  aws: { type: bedrock, region: us-east-1, base_url: "${bedrock.url}", api_key: bedrock-key }\ndefault: aws/us.anthropic.claude-sonnet-4-5-20250929-v1:0\n`);
}

beforeAll(() => {
  anthropicRelay = relayFor("anthropic");
  bedrockRelay = relayFor("bedrock");
  clientHome = mkdtempSync(join(tmpdir(), "claude-code-upstreams-home-"));
  clientDirectory = mkdtempSync(join(tmpdir(), "claude-code-upstreams-cwd-"));
  writeFileSync(join(clientDirectory, "notes.txt"), `${marker}\n`);
});
afterAll(async () => {
  await Promise.all([anthropicRelay.stop(), bedrockRelay.stop(), upstream.stop(), bedrock.stop()]);
  rmSync(clientHome, { recursive: true, force: true });
  rmSync(clientDirectory, { recursive: true, force: true });
});

const runClaudeCode = (relayUrl: string, prompt: string) => runClaudeCodeClient({ relayUrl, prompt, cwd: clientDirectory, home: clientHome, allowedTools: ["Read"] });

const readCall = (id: string) => ({ id, name: "Read", input: { file_path: join(clientDirectoryPath(), "notes.txt") } });
const clientDirectoryPath = () => clientDirectory;

describe("Claude Code through the relay", () => {
  test("to an Anthropic provider (passthrough): it runs its own Read tool and continues with the result", async () => {
    upstream.setDefault((body) => {
      const last = JSON.stringify(body?.messages?.at(-1) ?? "");
      if (last.includes("tool_result")) return { kind: "text", chunks: ["The file holds the marker."] };
      if (body?.tools?.length) return { kind: "tool-use", text: "Reading it.", calls: [readCall("toolu_read_1")] };
      return { kind: "text", chunks: ["ok"] };
    });
    const { messages, result, code, stderr } = await runClaudeCode(anthropicRelay.url, "read notes.txt");
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "The file holds the marker." });
    const toolResult = messages.flatMap((message) => (message.type === "user" ? message.message.content : [])).find((block: any) => block.type === "tool_result");
    expect(JSON.stringify(toolResult.content)).toContain(marker);

    // Upstream: Claude Code's own request, passed through (its tools, its betas), the tool result in the second turn.
    const turns = upstream.messageRequests().filter((request) => request.body?.tools?.length);
    expect(turns.length).toBeGreaterThanOrEqual(2);
    expect(turns[0]!.body.tools.map((tool: { name: string }) => tool.name)).toContain("Read");
    expect(turns[0]!.body.model).toBe("claude-sonnet-4-5-20250929");
    expect(turns[0]!.headers["x-api-key"]).toBe("sk-ant-provider");
    expect(turns[0]!.headers["anthropic-beta"]).toBeTruthy();
    expect(JSON.stringify(turns.at(-1)!.body.messages.at(-1))).toContain(marker);
  }, 90_000);

  test("to Claude on Bedrock: the same turn, with Bedrock's body and only the betas Bedrock accepts", async () => {
    bedrock.setDefault((body) => {
      const last = JSON.stringify(body?.messages?.at(-1) ?? "");
      if (last.includes("tool_result")) return { kind: "text", chunks: ["Bedrock read the marker."] };
      if (body?.tools?.length) return { kind: "tool-use", text: "Reading it.", calls: [readCall("toolu_read_2")] };
      return { kind: "text", chunks: ["ok"] };
    });
    const { messages, result, code, stderr } = await runClaudeCode(bedrockRelay.url, "read notes.txt");
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "Bedrock read the marker." });
    const toolResult = messages.flatMap((message) => (message.type === "user" ? message.message.content : [])).find((block: any) => block.type === "tool_result");
    expect(JSON.stringify(toolResult.content)).toContain(marker);

    const turns = bedrock.requests.filter((request) => request.body?.tools?.length);
    expect(turns[0]!.modelId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(turns[0]!.body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(turns[0]!.body.model).toBeUndefined();
    expect(turns[0]!.body.metadata).toBeUndefined();
    // Claude Code's Anthropic-only flags never reach Bedrock.
    expect(turns[0]!.body.anthropic_beta ?? []).not.toContain("claude-code-20250219");
    expect(JSON.stringify(turns.at(-1)!.body.messages.at(-1))).toContain(marker);
  }, 90_000);
});
