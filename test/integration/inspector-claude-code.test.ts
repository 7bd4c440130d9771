/**
 * Claude Code 2.1.197 as the client: the inspector groups its requests by the session header it sends
 * (x-claude-code-session-id), and a subagent's requests (x-claude-code-agent-id) form their own lane in that
 * session. The model (the fake upstream behind the relay's CLI) makes the client start a subagent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realClaudeBin, startTestRelay, type TestRelay } from "../support/test-relay.ts";

let relay: TestRelay;
let clientHome: string;
let clientDirectory: string;

beforeAll(async () => {
  relay = await startTestRelay();
  clientHome = mkdtempSync(join(tmpdir(), "inspector-claude-code-home-"));
  clientDirectory = mkdtempSync(join(tmpdir(), "inspector-claude-code-cwd-"));
});
afterAll(async () => {
  await relay.close();
  rmSync(clientHome, { recursive: true, force: true });
  rmSync(clientDirectory, { recursive: true, force: true });
});

test("a Claude Code session is one session in the inspector, its subagent a lane of its own", async () => {
  relay.upstream.setDefault((body) => {
    const text = JSON.stringify(body);
    if (text.includes("toolu_cc_task") && text.includes("tool_result")) return { kind: "text", chunks: ["All done."] };
    if (text.includes("SUBAGENT-MARKER")) return { kind: "text", chunks: ["The subagent says hi."] };
    return {
      kind: "tool-use",
      calls: [{ id: "toolu_cc_task", name: "mcp__relay__Agent", input: { description: "Say hi", prompt: "SUBAGENT-MARKER: say hi", subagent_type: "general-purpose" } }],
    };
  });
  const child = Bun.spawn([realClaudeBin, "-p", "delegate a greeting", "--output-format", "stream-json", "--verbose"], {
    cwd: clientDirectory,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: clientHome,
      ANTHROPIC_BASE_URL: relay.url,
      ANTHROPIC_API_KEY: "sk-ant-client-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
    },
  });
  const [stdout, , code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const messages = stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const result = messages.find((message) => message.type === "result");
  expect(code).toBe(0);
  expect(result?.result).toBe("All done.");
  const sessionId = messages.find((message) => message.type === "system" && message.subtype === "init")?.session_id;

  let rows: any[] = [];
  for (let attempt = 0; attempt < 100 && rows.length < 3; attempt++) {
    rows = ((await (await fetch(`${relay.url}/inspector/api/requests?path=&limit=50`)).json()) as any).items.filter((row: any) => row.path === "/v1/messages");
    if (rows.length < 3) await Bun.sleep(100);
  }
  expect(rows.length).toBeGreaterThanOrEqual(3);
  // Every request of the run is in Claude Code's own session.
  expect(new Set(rows.map((row) => row.sessionId))).toEqual(new Set([sessionId]));
  const subagentRows = rows.filter((row) => row.agentId);
  expect(subagentRows.length).toBeGreaterThanOrEqual(1);
  expect(subagentRows.every((row) => row.preview?.includes("SUBAGENT-MARKER"))).toBe(true);
  const mainRows = rows.filter((row) => !row.agentId);
  expect(mainRows.length).toBeGreaterThanOrEqual(2);
  const session = (await (await fetch(`${relay.url}/inspector/api/sessions/${sessionId}`)).json()) as any;
  expect(session.requests.length).toBe(rows.length);
}, 180_000);
