/**
 * Runs the real Claude Code CLI as a CLIENT of a relay (`claude -p` with ANTHROPIC_BASE_URL pointing at it),
 * offline: its own HOME, no non-essential traffic, no retries. Returns its stream-json messages and result.
 */
import { realClaudeBin } from "./test-relay.ts";

export interface ClaudeCodeClientRun {
  /** Every stream-json line Claude Code printed, parsed. */
  messages: any[];
  /** The final `result` message. */
  result: any;
  stderr: string;
  code: number;
}

export async function runClaudeCodeClient(options: {
  relayUrl: string;
  prompt: string;
  /** Its working directory (where its own tools such as Read work). */
  cwd: string;
  /** Its HOME (settings, sessions): a temporary folder per test file. */
  home: string;
  /** Tools it may run without asking (e.g. ["Read"]). */
  allowedTools?: string[];
}): Promise<ClaudeCodeClientRun> {
  const allowed = options.allowedTools?.length ? ["--allowedTools", options.allowedTools.join(",")] : [];
  const child = Bun.spawn([realClaudeBin, "-p", options.prompt, "--output-format", "stream-json", "--verbose", ...allowed], {
    cwd: options.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: options.home,
      ANTHROPIC_BASE_URL: options.relayUrl,
      ANTHROPIC_API_KEY: "sk-ant-client-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
    },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const messages = stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  return { messages, stderr, code, result: messages.find((message) => message.type === "result") };
}
