/**
 * Claude Code itself as a client of the relay (ANTHROPIC_BASE_URL pointing at it): it sends its own tool
 * definitions, receives a tool_use, runs the tool locally and continues. Two real CLIs: the client, and the
 * relay's backend talking to the fake upstream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricValue } from "../support/metric-value.ts";
import { runClaudeCodeClient } from "../support/claude-code-client.ts";
import { startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let clientHome: string;
let clientDirectory: string;

beforeAll(async () => {
  // No warm processes: every CLI process started is one a request needed, so the test can count them by pid.
  relay = await startTestRelay({ args: ["--warm-processes", "0"] });
  clientHome = mkdtempSync(join(tmpdir(), "claude-code-client-home-"));
  clientDirectory = mkdtempSync(join(tmpdir(), "claude-code-client-cwd-"));
});
afterAll(async () => {
  await relay.close();
  rmSync(clientHome, { recursive: true, force: true });
  rmSync(clientDirectory, { recursive: true, force: true });
});

const runClaudeCode = (prompt: string) => runClaudeCodeClient({ relayUrl: relay.url, prompt, cwd: clientDirectory, home: clientHome });

describe("Claude Code as a client", () => {
  test("a plain prompt is answered", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Hi from the relay's backend."] });
    const { result, code } = await runClaudeCode("say hi");
    expect(code).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "Hi from the relay's backend." });
  });

  test("its own tool is called through the relay, runs at the client, and the turn continues with the result", async () => {
    await relay.settle({ allowHeld: true });
    relay.upstream.reset();
    relay.upstream.enqueue(
      { kind: "tool-use", text: "Running it.", calls: [{ id: "toolu_cc_bash", name: "mcp__relay__Bash", input: { command: "echo hello-from-client-bash", description: "Print a marker" } }] },
      { kind: "text", chunks: ["The command printed the marker."] },
    );
    const { messages, result, code, stderr } = await runClaudeCode("run the marker command");
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "The command printed the marker." });

    // The client saw a call of its own Bash tool, with the upstream's id, and ran it itself.
    const toolUse = messages.flatMap((message) => (message.type === "assistant" ? message.message.content : [])).find((block: any) => block.type === "tool_use");
    expect(toolUse).toMatchObject({ id: "toolu_cc_bash", name: "Bash", input: { command: "echo hello-from-client-bash" } });
    const toolResult = messages.flatMap((message) => (message.type === "user" ? message.message.content : [])).find((block: any) => block.type === "tool_result");
    expect(JSON.stringify(toolResult.content)).toContain("hello-from-client-bash");

    // The relay's backend was offered Claude Code's tools, and the model got the client's tool output.
    const [first, second] = relay.upstream.messageRequests().filter((request) => request.completed);
    expect(first.body.tools.map((tool: { name: string }) => tool.name)).toEqual(expect.arrayContaining(["mcp__relay__Bash", "mcp__relay__Read"]));
    expect(JSON.stringify(second.body.messages.at(-1))).toContain("hello-from-client-bash");
    // Claude Code 2.1.197 sends nothing but the tool result, so the waiting CLI continues (no replay).
    expect(await metricValue(relay.url, 'agent_relay_conversation_continuations_total{path="hold"}')).toBe(1);
    expect(relay.cliPids()).toHaveLength(2);
  });
});
