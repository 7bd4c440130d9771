/**
 * Probes what a running claude CLI (stream-json input) does with `/clear` (alone, and followed by a
 * `compact_boundary` system message on stdin), a second `initialize`, and `/resume <id>` of a session file
 * written after start, against the project's fake upstream. The findings
 * are recorded in docs/claude-cli-findings.md ("Recycling a process"); run again after a CLI upgrade:
 *   node_modules/.bin/bun bench/probe-recycle.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compactBoundaryAfterClear } from "../src/backends/claude/claude-recycler.ts";
import { buildClaudeInvocation } from "../src/backends/claude/build-claude-invocation.ts";
import { ClaudeProcess } from "../src/backends/claude/claude-process.ts";
import { writeClaudeSession } from "../src/backends/claude/write-claude-session.ts";
import type { RelayRequest } from "../src/core/relay-request.ts";
import { startFakeUpstream } from "../test/support/fake-anthropic-upstream.ts";

const root = resolve(import.meta.dir, "..");
const binary = join(root, "node_modules", ".bin", "claude");
const home = mkdtempSync(join(tmpdir(), "probe-recycle-"));
const cwd = join(home, "work");
await Bun.$`mkdir -p ${cwd}`;
const upstream = startFakeUpstream();
const env = {
  PATH: process.env.PATH,
  HOME: home,
  ANTHROPIC_BASE_URL: upstream.url,
  ANTHROPIC_API_KEY: "sk-ant-dummy",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  DISABLE_TELEMETRY: "1",
};

const request = (system: string, text: string): RelayRequest =>
  ({ model: "sonnet", system, messages: [{ role: "user", content: [{ type: "text", text }] }], warnings: [], stream: true }) as unknown as RelayRequest;
const invocation = buildClaudeInvocation(request("SYSTEM-A", "first conversation"), { cliMaxRetries: 0, agent: false, permissionMode: "default", relayAddress: { host: "127.0.0.1", port: 1 } }, env);

const child = ClaudeProcess.spawn({ binary, args: invocation.args, env: invocation.env, cwd });
const lines: Array<{ at: number; value: any }> = [];
void (async () => {
  for await (const line of child.readLines()) if (line.kind === "json") lines.push({ at: performance.now(), value: line.value });
})();

async function until(predicate: (value: any) => boolean, from: number, timeoutMs = 20_000): Promise<{ at: number; value: any }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = lines.slice(from).find((line) => predicate(line.value));
    if (found) return found;
    await Bun.sleep(2);
  }
  throw new Error("timed out");
}
const userText = (body: any) =>
  body.messages.map((message: any) => message.content.filter((block: any) => block.type === "text" && !block.text.startsWith("<system-reminder>")).map((block: any) => block.text).join("|"));
/** The blocks the CLI adds for a local command (`/clear`) to the next user turn. */
const localCommandNotes = (body: any) =>
  body.messages.flatMap((message: any) => message.content.filter((block: any) => block.type === "text" && /^<(local-command-caveat|command-name|local-command-stdout)>/.test(block.text)).map((block: any) => block.text.slice(0, 40)));
const withoutSession = (body: any) => JSON.stringify({ ...body, metadata: undefined });
const systemText = (body: any) => body.system.map((block: any) => block.text).at(-1);
const user = (text: string) => ({ type: "user", message: { role: "user", content: [{ type: "text", text }] }, parent_tool_use_id: null });
const sessionOf = async (from: number) => (await until((v) => v.type === "result", from)).value.session_id as string;

const report: Record<string, unknown> = {};
child.send(invocation.initialize);
let mark = lines.length;
child.send(invocation.userMessage);
const firstSession = await sessionOf(mark);

// 1. /clear
mark = lines.length;
const clearSentAt = performance.now();
child.send(user("/clear"));
const clearResult = await until((v) => v.type === "result", mark);
report.clear = {
  ms: Math.round(clearResult.at - clearSentAt),
  output: lines.slice(mark).map((line) => `${line.value.type}/${line.value.subtype ?? ""}`),
  newSession: clearResult.value.session_id !== firstSession,
  upstreamCalls: upstream.messageRequests().length,
};
mark = lines.length;
child.send(user("second conversation"));
const secondSession = await sessionOf(mark);
const afterClear = upstream.messageRequests().at(-1)!.body;
report.afterClear = { messages: userText(afterClear), notes: localCommandNotes(afterClear), system: systemText(afterClear), session: secondSession !== firstSession };

// 1b. /clear, then a compact boundary, then the first conversation's words again: the request must equal the
// first one (a new process's) except for the session named in metadata.
child.send(user("/clear"));
const boundaryClear = await until((v) => v.type === "result", lines.length);
child.send(compactBoundaryAfterClear(boundaryClear.value.session_id));
mark = lines.length;
child.send(user("first conversation"));
await sessionOf(mark);
const afterBoundary = upstream.messageRequests().at(-1)!.body;
report.afterClearAndBoundary = {
  notes: localCommandNotes(afterBoundary),
  sameAsNewProcess: withoutSession(afterBoundary) === withoutSession(upstream.messageRequests()[0].body),
  boundaryOutput: lines.slice(mark).filter((line) => line.value.type === "system" && line.value.subtype === "compact_boundary").length,
};

// 2. A second initialize after /clear, with another system prompt.
child.send(user("/clear"));
await until((v) => v.type === "result", lines.length);
mark = lines.length;
const other = buildClaudeInvocation(request("SYSTEM-B", "third"), { cliMaxRetries: 0, agent: false, permissionMode: "default", relayAddress: { host: "127.0.0.1", port: 1 } }, env);
child.send({ ...other.initialize, request_id: "second_init" });
const response = await until((v) => v.type === "control_response" && v.response?.request_id === "second_init", mark);
child.send(user("third conversation"));
await sessionOf(mark);
report.secondInitialize = { response: response.value.response.subtype, error: response.value.response.error, systemAfter: systemText(upstream.messageRequests().at(-1)!.body) };

// 3. /resume of a session file written now.
const session = await writeClaudeSession({
  history: [
    { role: "user", content: [{ type: "text", text: "I am Ada." }] },
    { role: "assistant", content: [{ type: "text", text: "Hello Ada." }] },
  ],
  cwd,
  env: invocation.env,
});
mark = lines.length;
const before = upstream.messageRequests().length;
child.send(user(`/resume ${session.sessionId}`));
const resumeResult = await until((v) => v.type === "result", mark).catch(() => undefined);
report.resume = {
  result: resumeResult?.value.result,
  output: lines.slice(mark).map((line) => `${line.value.type}/${line.value.subtype ?? ""}`),
  upstreamCalls: upstream.messageRequests().length - before,
};
mark = lines.length;
child.send(user("What is my name?"));
await sessionOf(mark);
report.afterResume = { messages: userText(upstream.messageRequests().at(-1)!.body) };

// 4. Memory of the process after these conversations.
const status = await Bun.file(`/proc/${child.pid}/status`).text().catch(() => "");
report.rssKb = /VmRSS:\s+(\d+)/.exec(status)?.[1];

console.log(JSON.stringify(report, null, 2));
await child.stop(1000);
await upstream.stop();
rmSync(home, { recursive: true, force: true });
