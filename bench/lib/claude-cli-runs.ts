/**
 * The real claude CLI driven directly, without the relay, for bench/warm.ts:
 * - `coldPrint`: what a user runs, `claude -p PROMPT --output-format stream-json --verbose
 *   --include-partial-messages` with stdin ignored, timed from the spawn;
 * - `DirectCli`: a process started ahead of time with the relay's own argv and environment, then given turns
 *   on stdin exactly as the relay gives them (initialize + user message, later another user message).
 */
import type { Subprocess } from "bun";
import { processMemory } from "./rss.ts";

export interface CliTurnSample {
  ok: boolean;
  error?: string;
  /** Start to the first `text_delta` stream event line. */
  firstTokenMs: number;
  /** Start to the `result` line. */
  resultMs: number;
  /** Start to the process exit (coldPrint), or to the `result` line (a turn of a DirectCli). */
  totalMs: number;
  /** Start to the `system/init` line (the CLI starting the turn). */
  initMs: number;
  /** Start to the control response to `initialize` (DirectCli with initialize only). */
  initializeMs?: number;
  /** The CLI's peak RSS (VmHWM) read at the `result` line, bytes (coldPrint only). */
  peakRss?: number;
  text: string;
}

const defaultReader = (stream: ReadableStream<Uint8Array>) => stream.getReader();

/** Splits a byte stream into lines, across any number of reads (one reader for the process's life). */
class LineReader {
  private readonly reader: ReturnType<typeof defaultReader>;
  private readonly decoder = new TextDecoder();
  private buffer = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = defaultReader(stream);
  }

  /** The next non-empty line, or undefined at EOF. */
  async next(): Promise<string | undefined> {
    while (true) {
      const newline = this.buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (line.trim() === "") continue;
        return line;
      }
      const chunk = await this.reader.read();
      if (chunk.done) {
        const rest = this.buffer.trim();
        this.buffer = "";
        return rest === "" ? undefined : rest;
      }
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  release(): void {
    this.reader.releaseLock();
  }
}

const isTextDelta = (message: any) =>
  message.type === "stream_event" && message.event?.type === "content_block_delta" && message.event.delta?.type === "text_delta";

/** Reads one turn's lines up to `result`, timing the landmarks from `start`. */
async function readTurn(lines: LineReader, start: number, onResult?: () => Promise<void>): Promise<Omit<CliTurnSample, "totalMs"> & { sawResult: boolean }> {
  let firstTokenMs = Number.NaN;
  let resultMs = Number.NaN;
  let initMs = Number.NaN;
  let initializeMs: number | undefined;
  let text = "";
  let error: string | undefined;
  while (true) {
    const line = await lines.next();
    if (line === undefined) break;
    const message = JSON.parse(line);
    const at = performance.now() - start;
    if (isTextDelta(message)) {
      if (Number.isNaN(firstTokenMs)) firstTokenMs = at;
      text += message.event.delta.text;
    } else if (message.type === "system" && message.subtype === "init") {
      if (Number.isNaN(initMs)) initMs = at;
    } else if (message.type === "control_response") {
      initializeMs ??= at;
    } else if (message.type === "result") {
      resultMs = at;
      if (message.is_error) error = `result error: ${JSON.stringify(message).slice(0, 300)}`;
      await onResult?.();
      return { ok: !error, error, firstTokenMs, resultMs, initMs, initializeMs, text, sawResult: true };
    }
  }
  return { ok: false, error: "stdout ended before the result line", firstTokenMs, resultMs, initMs, initializeMs, text, sawResult: false };
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let tail = "";
  try {
    for await (const chunk of stream) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-2000);
  } catch {
    // closed with the process
  }
  return tail;
}

/** A cold `claude -p` as a user runs it: spawn, read stdout to the exit. */
export async function coldPrint(options: { binary: string; prompt: string; cwd: string; env: Record<string, string> }): Promise<CliTurnSample> {
  const start = performance.now();
  const child = Bun.spawn([options.binary, "-p", options.prompt, "--output-format", "stream-json", "--verbose", "--include-partial-messages"], {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = drain(child.stderr);
  const lines = new LineReader(child.stdout);
  let peakRss: number | undefined;
  const turn = await readTurn(lines, start, async () => {
    // Still alive at its result line: VmHWM is its peak so far (the exit adds little).
    peakRss = (await processMemory(child.pid))?.hwm;
  });
  // Read to EOF, as a user's pipe does, then the exit.
  while ((await lines.next()) !== undefined) {
    // nothing comes after result
  }
  lines.release();
  const code = await child.exited;
  const totalMs = performance.now() - start;
  const ok = turn.ok && turn.sawResult && code === 0;
  const error = ok ? undefined : (turn.error ?? `exit ${code}`) + `; stderr: ${(await stderr).slice(-300)}`;
  return { ...turn, ok, error, totalMs, peakRss };
}

/**
 * A CLI process started ahead of time with the relay's argv and environment (in its own process group, like
 * the relay's), waiting on stdin; given turns as the relay gives them.
 */
export class DirectCli {
  readonly pid: number;
  private readonly child: Subprocess<"pipe", "pipe", "pipe">;
  private readonly lines: LineReader;
  private readonly stderr: Promise<string>;
  private readonly encoder = new TextEncoder();

  constructor(options: { binary: string; args: string[]; cwd: string; env: Record<string, string | undefined> }) {
    this.child = Bun.spawn([options.binary, ...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
    this.pid = this.child.pid;
    this.lines = new LineReader(this.child.stdout);
    this.stderr = drain(this.child.stderr);
  }

  /**
   * Writes the lines (e.g. initialize and a user message) as the relay does, each written and flushed on its
   * own, and reads the turn to `result`.
   */
  async turn(messages: unknown[]): Promise<CliTurnSample> {
    const start = performance.now();
    for (const message of messages) {
      this.child.stdin.write(this.encoder.encode(JSON.stringify(message) + "\n"));
      void this.child.stdin.flush();
    }
    const turn = await readTurn(this.lines, start);
    const ok = turn.ok && turn.sawResult;
    const error = ok ? undefined : `${turn.error}; stderr: ${(await Promise.race([this.stderr, Bun.sleep(500).then(() => "")])).slice(-300)}`;
    return { ...turn, ok, error, totalMs: turn.resultMs };
  }

  /** Closes stdin (an idle CLI then exits by itself), kills the group if it lingers, and waits for the exit. */
  async close(): Promise<void> {
    try {
      void this.child.stdin.end();
    } catch {
      // already closed
    }
    const code = await Promise.race([this.child.exited, Bun.sleep(3000).then(() => null)]);
    if (code === null) {
      try {
        process.kill(-this.pid, "SIGKILL");
      } catch {
        // gone
      }
      await this.child.exited;
    }
    this.lines.release();
  }
}
