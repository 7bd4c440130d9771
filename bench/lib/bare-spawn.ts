/**
 * The baseline: what a client does without the relay. It spawns the CLI itself with the argv, environment,
 * working directory and spawn options the relay uses, writes the same two stdin lines, reads stdout lines
 * until the `result` line, closes stdin and waits for the exit.
 */
import { buildClaudeInvocation, type ClaudeInvocationSettings } from "../../src/backends/claude/build-claude-invocation.ts";
import { parseOpenAIChatRequest } from "../../src/protocols/openai-chat/parse-request.ts";
import type { OpenAIChatRequest } from "../../src/protocols/openai-chat/schema.ts";

export interface BareInvocation {
  binary: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  initialize: unknown;
  userMessage: unknown;
}

/** Builds the exact invocation the relay would run for this chat request. */
export function bareInvocationFor(options: {
  body: OpenAIChatRequest;
  binary: string;
  cwd: string;
  env: Record<string, string | undefined>;
  settings: ClaudeInvocationSettings;
}): BareInvocation {
  const { relayRequest } = parseOpenAIChatRequest(options.body);
  const invocation = buildClaudeInvocation(relayRequest, options.settings, options.env);
  if (invocation.history.length > 0) throw new Error("the benchmark request must be a single user turn");
  return {
    binary: options.binary,
    args: invocation.args,
    env: invocation.env,
    cwd: options.cwd,
    initialize: invocation.initialize,
    userMessage: invocation.userMessage,
  };
}

export interface BareSample {
  ok: boolean;
  error?: string;
  /** Start to the first text delta line (the first token a client could show). */
  firstTokenMs: number;
  /** Start to the `result` line. */
  resultMs: number;
  /** Start to the process exit: the per-request wall time of the baseline. */
  totalMs: number;
  /** How long the synchronous Bun.spawn() call blocked the event loop. */
  spawnMs: number;
  text: string;
}

const encoder = new TextEncoder();

export async function bareRequest(invocation: BareInvocation): Promise<BareSample> {
  const start = performance.now();
  let firstTokenMs = Number.NaN;
  let resultMs = Number.NaN;
  let text = "";
  const child = Bun.spawn([invocation.binary, ...invocation.args], {
    cwd: invocation.cwd,
    env: invocation.env,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
  const spawnMs = performance.now() - start;
  // The relay keeps a stderr tail; drain it the same way so the pipe never fills.
  const stderr = (async () => {
    for await (const _chunk of child.stderr) {
      // discarded
    }
  })().catch(() => {});
  child.stdin.write(encoder.encode(JSON.stringify(invocation.initialize) + "\n"));
  void child.stdin.flush();
  child.stdin.write(encoder.encode(JSON.stringify(invocation.userMessage) + "\n"));
  void child.stdin.flush();

  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let sawResult = false;
  try {
    reading: while (true) {
      const next = await reader.read();
      if (next.done) break;
      buffer += decoder.decode(next.value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim() === "") continue;
        const message = JSON.parse(line);
        if (message.type === "stream_event" && message.event?.type === "content_block_delta" && message.event.delta?.type === "text_delta") {
          if (Number.isNaN(firstTokenMs)) firstTokenMs = performance.now() - start;
          text += message.event.delta.text;
        } else if (message.type === "result") {
          resultMs = performance.now() - start;
          sawResult = true;
          break reading;
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
  void child.stdin.end();
  const code = await child.exited;
  await stderr;
  const totalMs = performance.now() - start;
  const ok = sawResult && code === 0;
  return { ok, error: ok ? undefined : `exit ${code}, result ${sawResult}`, firstTokenMs, resultMs, totalMs, spawnMs, text };
}
