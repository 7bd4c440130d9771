import { splitConversation } from "../../src/backends/claude/build-claude-invocation.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeProjectDirectory, writeClaudeSession } from "../../src/backends/claude/write-claude-session.ts";
import type { RelayMessage } from "../../src/core/relay-request.ts";
import { readTranscript } from "./load-fixture.ts";

const scratch = mkdtempSync(join(tmpdir(), "agent-relay-session-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The same conversation as the recorded crafted session the CLI accepted (claude-cli-protocol.md Q8). */
const history: RelayMessage[] = [
  { role: "user", content: [{ type: "text", text: "CRAFTED user 1: my name is Bob" }] },
  {
    role: "assistant",
    content: [
      { type: "text", text: "CRAFTED assistant 1" },
      { type: "tool-call", id: "toolu_c1", name: "get_weather", input: { city: "Oslo" } },
    ],
  },
  { role: "user", content: [{ type: "tool-result", toolCallId: "toolu_c1", content: [{ type: "text", text: "CRAFTED tool result: rainy" }], isError: false }] },
  { role: "assistant", content: [{ type: "text", text: "CRAFTED assistant 2: it is rainy" }] },
];

const readRecords = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));

describe("claudeProjectDirectory", () => {
  test("HOME/.claude/projects/<cwd with every non-alphanumeric as '-'>", () => {
    expect(claudeProjectDirectory("/work/cwd.with dots_and space", { HOME: "/home/u" })).toBe("/home/u/.claude/projects/-work-cwd-with-dots-and-space");
  });

  test("CLAUDE_CONFIG_DIR moves the whole tree", () => {
    expect(claudeProjectDirectory("/srv/relay", { HOME: "/home/u", CLAUDE_CONFIG_DIR: "/etc/claude" })).toBe("/etc/claude/projects/-srv-relay");
  });
});

describe("writeClaudeSession", () => {
  test("writes one record per turn with the fields of the crafted session the CLI resumed", async () => {
    const cwd = "/work/relay workspace";
    const home = join(scratch, "home");
    const session = await writeClaudeSession({ history, cwd, env: { HOME: home }, cliVersion: "2.1.197" });
    expect(session.path).toBe(join(home, ".claude", "projects", "-work-relay-workspace", `${session.sessionId}.jsonl`));
    expect(session.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const records = readRecords(session.path);
    const accepted = readTranscript("crafted-session.jsonl");
    expect(records.map((record) => record.type)).toEqual(accepted.map((record) => record.type));
    records.forEach((record, index) => {
      // Every field the accepted file had, on the record and on its message.
      for (const key of Object.keys(accepted[index])) expect(record).toHaveProperty(key);
      for (const key of Object.keys(accepted[index].message)) expect(record.message).toHaveProperty(key);
      expect(record).toMatchObject({ sessionId: session.sessionId, cwd, isSidechain: false, userType: "external", version: "2.1.197" });
      expect(record.parentUuid).toBe(index === 0 ? null : records[index - 1].uuid);
      expect(record.message.role).toBe(record.type);
    });
    expect(new Set(records.map((record) => record.uuid)).size).toBe(records.length);
    const times = records.map((record) => Date.parse(record.timestamp));
    expect(times.every((time, index) => index === 0 || time > times[index - 1])).toBe(true);
  });

  test("message content is in the CLI's block format; assistant records have distinct ids and the right stop reason", async () => {
    const session = await writeClaudeSession({ history, cwd: "/w", env: { HOME: join(scratch, "home2") } });
    const records = readRecords(session.path);
    expect(records[0].message).toEqual({ role: "user", content: [{ type: "text", text: "CRAFTED user 1: my name is Bob" }] });
    expect(records[1].message.content).toEqual([
      { type: "text", text: "CRAFTED assistant 1" },
      { type: "tool_use", id: "toolu_c1", name: "get_weather", input: { city: "Oslo" } },
    ]);
    expect(records[1].message.stop_reason).toBe("tool_use");
    expect(records[2].message.content).toEqual([{ type: "tool_result", tool_use_id: "toolu_c1", content: [{ type: "text", text: "CRAFTED tool result: rainy" }] }]);
    expect(records[3].message.stop_reason).toBe("end_turn");
    expect(records[1].message.id).not.toBe(records[3].message.id);
    expect(records[1].message.type).toBe("message");
    // Without a known CLI version the recorded one is used.
    expect(records[0].version).toBe("2.1.197");
  });

  test("CLAUDE_CONFIG_DIR wins over HOME", async () => {
    const configDirectory = join(scratch, "config");
    const session = await writeClaudeSession({ history, cwd: "/w", env: { HOME: join(scratch, "unused"), CLAUDE_CONFIG_DIR: configDirectory } });
    expect(session.path.startsWith(join(configDirectory, "projects", "-w") + "/")).toBe(true);
    expect(existsSync(join(scratch, "unused"))).toBe(false);
  });

  test("the file is private (0600) and ends with a newline", async () => {
    const session = await writeClaudeSession({ history, cwd: "/w", env: { HOME: join(scratch, "home3") } });
    expect(statSync(session.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(session.path, "utf8").endsWith("}\n")).toBe(true);
  });

  test("remove() deletes the file and is safe to call twice", async () => {
    const session = await writeClaudeSession({ history, cwd: "/w", env: { HOME: join(scratch, "home4") } });
    expect(existsSync(session.path)).toBe(true);
    await session.remove();
    expect(existsSync(session.path)).toBe(false);
    await session.remove();
  });

  test("two sessions for the same cwd get different files", async () => {
    const env = { HOME: join(scratch, "home5") };
    const [first, second] = await Promise.all([writeClaudeSession({ history, cwd: "/w", env }), writeClaudeSession({ history, cwd: "/w", env })]);
    expect(first.path).not.toBe(second.path);
  });

  // An OpenAI assistant message with content "" and no tool calls is common in client histories; the Messages API
  // rejects empty non-final messages, so such turns are dropped before the session file is written.
  test("a history turn with nothing to send is dropped, and the turns around it are merged", () => {
    const { history, turn } = splitConversation([
      { role: "user", content: [{ type: "text", text: "a" }] },
      { role: "assistant", content: [{ type: "text", text: "" }] },
      { role: "user", content: [{ type: "text", text: "b" }] },
    ]);
    expect(history).toEqual([]);
    expect(turn).toEqual({ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] });
  });
});
