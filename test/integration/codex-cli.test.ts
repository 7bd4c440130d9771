/**
 * The real Codex CLI (npm @openai/codex, pinned) as a client of the Responses API: a custom model provider
 * whose base_url is the relay, wire_api "responses", the key from env_key. Codex sends store:false with the
 * whole conversation each turn, its instructions as developer messages, and tool types the relay drops
 * (namespace, web_search); it runs its own tools and sends function_call_output back.
 * Everything is offline: Codex talks to the relay, the relay's real claude CLI to the fake upstream.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricValue } from "../support/metric-value.ts";
import { projectRoot, startTestRelay, type TestRelay } from "../support/test-relay.ts";

const codexBin = join(projectRoot, "node_modules", ".bin", "codex");
const relayKey = "relay-key-for-codex";

let relay: TestRelay;
let scratch: string;

beforeAll(async () => {
  // No warm processes: every CLI process started is one a request needed, so the test can count them by pid.
  relay = await startTestRelay({ args: ["--api-key", relayKey, "--warm-processes", "0"] });
  scratch = mkdtempSync(join(tmpdir(), "agent-relay-codex-"));
});
afterAll(async () => {
  await relay.close();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await relay.settle({ allowHeld: true });
  relay.upstream.reset();
});

/** The configuration the README documents, pointed at the test relay. */
function codexConfig(baseUrl: string): string {
  return [
    'model = "sonnet"',
    'model_provider = "agent-relay"',
    "",
    "[model_providers.agent-relay]",
    'name = "agent-relay"',
    `base_url = "${baseUrl}/v1"`,
    'wire_api = "responses"',
    'env_key = "AGENT_RELAY_API_KEY"',
    "",
  ].join("\n");
}

interface CodexRun {
  exitCode: number;
  /** Codex's --json events. */
  events: Array<Record<string, any>>;
  lastMessage: string;
  stderr: string;
}

/** Runs `codex exec` non-interactively in a fresh CODEX_HOME and working directory, read-only sandbox, no approvals. */
async function runCodex(prompt: string): Promise<CodexRun> {
  const home = mkdtempSync(join(scratch, "home-"));
  const codexHome = join(home, ".codex");
  const workdir = mkdtempSync(join(scratch, "work-"));
  mkdirSync(codexHome);
  writeFileSync(join(codexHome, "config.toml"), codexConfig(relay.url));
  const lastMessageFile = join(home, "last-message.txt");
  const child = Bun.spawn(
    [codexBin, "exec", "--json", "--ephemeral", "--skip-git-repo-check", "--sandbox", "read-only", "-c", 'approval_policy="never"', "-C", workdir, "-o", lastMessageFile, prompt],
    {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: codexHome, AGENT_RELAY_API_KEY: relayKey },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const events = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  return { exitCode, events, stderr, lastMessage: existsSync(lastMessageFile) ? readFileSync(lastMessageFile, "utf8").trim() : "" };
}

/** The text of every block of the upstream's n-th model call's last user turn. */
const lastUserTurnTexts = (index: number): string[] => {
  const content = relay.upstream.messageRequests()[index].body.messages.at(-1).content;
  return (typeof content === "string" ? [content] : content).map((block: any) =>
    typeof block === "string" ? block : block.type === "tool_result" ? JSON.stringify(block.content) : (block.text ?? ""),
  );
};

describe.skipIf(!existsSync(codexBin))("Codex CLI with the relay as its Responses API provider", () => {
  test("a plain prompt: Codex shows the relay's answer", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Hello from ", "Claude through the relay."] });
    const run = await runCodex("Say hello.");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.lastMessage).toBe("Hello from Claude through the relay.");
    expect(run.events.at(-1)).toMatchObject({ type: "turn.completed", usage: { input_tokens: expect.any(Number), output_tokens: 7 } });
    const [request] = relay.upstream.messageRequests();
    expect(lastUserTurnTexts(0).join("\n")).toContain("Say hello.");
    // Codex's own instructions arrive as developer messages and become the system prompt.
    expect(JSON.stringify(request.body.system)).toContain("Codex");
  });

  test("a tool turn: the model calls Codex's exec_command, Codex runs it, and the waiting CLI continues with its output", async () => {
    relay.upstream.enqueue(
      { kind: "tool-use", text: "I will run it.", calls: [{ id: "toolu_codex_echo", name: "mcp__relay__exec_command", input: { cmd: "echo relay-codex-ok" } }] },
      { kind: "text", chunks: ["The command printed relay-codex-ok."] },
    );
    const processesBefore = relay.cliPids().length;
    const logsBefore = relay.logs.length;
    const heldContinuations = () => metricValue(relay.url, 'agent_relay_conversation_continuations_total{path="hold"}', { apiKey: relayKey });
    const heldBefore = await heldContinuations();
    const run = await runCodex("Run echo relay-codex-ok and tell me what it printed.");
    expect(run.exitCode, run.stderr).toBe(0);

    const execution = run.events.find((event) => event.type === "item.completed" && event.item.type === "command_execution")?.item;
    expect(execution).toMatchObject({ exit_code: 0, status: "completed" });
    expect(execution.command).toContain("echo relay-codex-ok");
    expect(execution.aggregated_output).toContain("relay-codex-ok");
    expect(run.lastMessage).toBe("The command printed relay-codex-ok.");

    // The command's output reached the model as the result of its call, in the CLI that made the call.
    expect(relay.upstream.messageRequests()).toHaveLength(2);
    expect(lastUserTurnTexts(1).join("\n")).toContain("relay-codex-ok");
    expect(relay.upstream.messageRequests()[1].body.messages.at(-1).content[0]).toMatchObject({ type: "tool_result", tool_use_id: "toolu_codex_echo" });
    // One CLI took the conversation: started for it, or recycled from an earlier one (recycling is on by default).
    const reused = relay.logs.slice(logsBefore).filter((line) => line.msg === "claude CLI reused").length;
    expect(relay.cliPids().length - processesBefore + reused).toBe(1);
    expect(await heldContinuations()).toBe(heldBefore + 1);
  });
});
