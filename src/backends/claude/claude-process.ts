/**
 * The one place that owns a `claude` CLI process: spawn in its own process group, stream-json lines in
 * and out, a bounded stderr tail, exit checks, and killing the whole group.
 */
import type { Subprocess } from "bun";
import { RelayError } from "../../core/relay-error.ts";
import { encodeJsonLine, JsonLinesDecoder, LineTooLongError, type JsonLine } from "../../util/json-lines.ts";

export interface ClaudeProcessOptions {
  /** Absolute path of the claude binary. */
  binary: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /** Bytes of stderr kept for error reports. */
  stderrTailBytes?: number;
  /** The longest stdout line accepted (characters); beyond it reading fails. The registry's limit by default. */
  maxLineLength?: number;
}

/** The default line limit: far above any real CLI line (a 20 MB image echoed back is about 27 MB of base64). */
export const defaultMaxLineLength = 64 * 1024 * 1024;

export interface ReadLinesOptions {
  /** Ends reading at once when aborted (client disconnect, shutdown). */
  signal?: AbortSignal;
}

const isWindows = process.platform === "win32";

/** Every live CLI process, so shutdown can end them all. */
export class ClaudeProcessRegistry {
  private readonly live = new Set<ClaudeProcess>();

  /** @param options.maxLineLength the stdout line limit of every process started with this registry (--max-line-size). */
  constructor(readonly options: { maxLineLength?: number } = {}) {}

  add(child: ClaudeProcess): void {
    this.live.add(child);
  }

  delete(child: ClaudeProcess): void {
    this.live.delete(child);
  }

  get size(): number {
    return this.live.size;
  }

  /** Process ids of the live CLI processes. */
  pids(): number[] {
    return [...this.live].map((child) => child.pid);
  }

  killAll(): void {
    for (const child of this.live) child.kill();
  }

  /** Interrupts every process, then kills the groups of those still running after the grace period. */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all([...this.live].map((child) => child.stop(graceMs)));
  }
}

export class ClaudeProcess {
  readonly pid: number;
  /** Resolves with the exit code once the CLI has exited. */
  readonly exited: Promise<number>;
  private readonly child: Subprocess<"pipe", "pipe", "pipe">;
  private readonly stderrTailBytes: number;
  private stderrText = "";
  private inputOpen = true;
  private groupReaped = false;
  private exitCode: number | null = null;
  private interruptCounter = 0;

  private readonly maxLineLength: number;

  private constructor(child: Subprocess<"pipe", "pipe", "pipe">, stderrTailBytes: number, maxLineLength: number, private readonly registry?: ClaudeProcessRegistry) {
    this.maxLineLength = maxLineLength;
    this.child = child;
    this.pid = child.pid;
    this.stderrTailBytes = stderrTailBytes;
    this.exited = child.exited.then((code) => {
      this.exitCode = code;
      // Tool children or MCP servers may still hold stdout open after the CLI exits; without this the reader never sees EOF.
      this.killGroup("SIGKILL");
      this.groupReaped = true;
      this.registry?.delete(this);
      return code;
    });
    void this.drainStderr();
  }

  /** Starts the CLI in its own process group. A missing binary becomes a 503 that says how to install it. */
  static spawn(options: ClaudeProcessOptions, registry?: ClaudeProcessRegistry): ClaudeProcess {
    let child: Subprocess<"pipe", "pipe", "pipe">;
    try {
      child = Bun.spawn([options.binary, ...options.args], {
        cwd: options.cwd,
        env: options.env,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        // setsid(): the CLI leads a new process group, so one signal reaches it and every child it starts.
        detached: !isWindows,
      });
    } catch (error) {
      throw describeSpawnFailure(options.binary, error);
    }
    const maxLineLength = options.maxLineLength ?? registry?.options.maxLineLength ?? defaultMaxLineLength;
    const claude = new ClaudeProcess(child, options.stderrTailBytes ?? 8192, maxLineLength, registry);
    registry?.add(claude);
    return claude;
  }

  /** True until the CLI has exited. */
  get running(): boolean {
    return this.exitCode === null;
  }

  /** The last bytes the CLI wrote to stderr. */
  get stderrTail(): string {
    return this.stderrText;
  }

  /** Writes one JSON line to the CLI's stdin; ignored once input is closed or the CLI is gone. */
  send(message: unknown): void {
    if (!this.inputOpen || !this.running) return;
    try {
      this.child.stdin.write(encodeJsonLine(message));
      void this.child.stdin.flush();
    } catch {
      this.inputOpen = false;
    }
  }

  /** Closes stdin: an idle CLI then exits on its own within milliseconds. */
  closeInput(): void {
    if (!this.inputOpen) return;
    this.inputOpen = false;
    try {
      void this.child.stdin.end();
    } catch {
      // already closed by the exiting process
    }
  }

  /** Asks the CLI to abort the current turn; it cancels the upstream request and ends its tool children. */
  interrupt(): void {
    this.send({ type: "control_request", request_id: `interrupt_${++this.interruptCounter}`, request: { subtype: "interrupt" } });
  }

  /**
   * Reads stdout as JSON lines until EOF or abort. (The idle timeout of an answer is the run's: claude-run.ts.)
   * A line over the limit fails the read: the relay does not buffer a runaway CLI's output without bound.
   */
  async *readLines(options: ReadLinesOptions = {}): AsyncGenerator<JsonLine> {
    try {
      yield* this.readLinesUnchecked(options);
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      throw new RelayError("api_error", `The Claude Code CLI printed an output line longer than ${formatMegabytes(this.maxLineLength)} (the relay's --max-line-size); the request was stopped.`, {
        status: 502,
        code: "cli_line_too_long",
        retryable: false,
        detail: `pid ${this.pid}: ${error.message}`,
      });
    }
  }

  private async *readLinesUnchecked(options: ReadLinesOptions): AsyncGenerator<JsonLine> {
    const reader = this.child.stdout.getReader();
    const decoder = new JsonLinesDecoder({ maxLineLength: this.maxLineLength });
    const { signal } = options;
    let abortListener: (() => void) | undefined;
    const aborted = new Promise<"aborted">((resolve) => {
      if (signal?.aborted) return resolve("aborted");
      abortListener = () => resolve("aborted");
      signal?.addEventListener("abort", abortListener, { once: true });
    });
    try {
      while (true) {
        const next = await Promise.race([reader.read(), aborted]);
        if (next === "aborted") return;
        if (next.done) {
          yield* decoder.end();
          return;
        }
        yield* decoder.push(next.value);
      }
    } finally {
      if (abortListener) signal?.removeEventListener("abort", abortListener);
      reader.releaseLock();
    }
  }

  /**
   * Ends the process politely and then firmly: interrupt (the CLI cancels its upstream request and tool
   * children), close stdin, and kill the whole group if it is still there after the grace period.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.interrupt();
    this.closeInput();
    if (await this.exitsWithin(graceMs)) return;
    this.killGroup("SIGTERM");
    if (await this.exitsWithin(Math.min(graceMs, 1000))) return;
    this.killGroup("SIGKILL");
    await this.exitsWithin(1000);
  }

  /** Closes stdin after a completed turn and waits for the CLI to exit; kills it if it lingers. */
  async finish(graceMs: number): Promise<void> {
    this.closeInput();
    if (await this.exitsWithin(graceMs)) return;
    await this.stop(graceMs);
  }

  /** Kills the whole process group at once; safe to call any number of times. */
  kill(): void {
    this.killGroup("SIGKILL");
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: Timer | undefined;
    const result = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return result;
  }

  private killGroup(signal: "SIGTERM" | "SIGKILL"): void {
    if (this.groupReaped) return;
    if (isWindows) {
      if (this.running) Bun.spawnSync(["taskkill", "/T", "/F", "/PID", String(this.pid)]);
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private async drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.child.stderr) {
        this.stderrText += decoder.decode(chunk, { stream: true });
        if (this.stderrText.length > this.stderrTailBytes) this.stderrText = this.stderrText.slice(-this.stderrTailBytes);
      }
    } catch {
      // the pipe closed with the process
    }
  }
}

function formatMegabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

/**
 * Why a spawn failed, in words for whoever can fix it: a value from the request that no process can take
 * (a NUL byte, or over the kernel's 128 KB per argument) is the client's 400; a missing or non-executable
 * binary is the operator's 503, each named for what it is.
 */
export function describeSpawnFailure(binary: string, error: unknown): RelayError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = String(error).slice(0, 300);
  switch (code) {
    case "ERR_INVALID_ARG_VALUE":
      return new RelayError("invalid_request", "A request value (model name, stop sequence, metadata, ...) contains a NUL byte, which cannot be passed to the Claude Code CLI.", { param: null, detail });
    case "E2BIG":
      return new RelayError("invalid_request", "A request value (model name, stop sequence, system prompt setting, ...) is too long to pass to the Claude Code CLI (over 128 KB).", { param: null, detail });
    case "EACCES":
      return new RelayError("unavailable", claudeNotExecutableMessage(binary), {
        code: "claude_cli_not_executable",
        retryable: false,
        detail,
        cause: error,
      });
    default:
      return new RelayError("unavailable", claudeMissingMessage(binary), { code: "claude_cli_not_found", retryable: false, detail, cause: error });
  }
}

/** What a user sees when the claude binary cannot be started. */
export function claudeMissingMessage(binary: string): string {
  return (
    `The Claude Code CLI was not found (looked for "${binary}"). Install it with ` +
    "`npm install -g @anthropic-ai/claude-code`, run `claude` once to log in, " +
    "then restart agent-relay (or point --claude-bin / AGENT_RELAY_CLAUDE_BIN at the binary)."
  );
}

/** What a user sees when the claude binary exists but may not be run. */
export function claudeNotExecutableMessage(binary: string): string {
  return `The Claude Code CLI at "${binary}" is not executable (permission denied). Check the file's permissions (chmod +x), or point --claude-bin / AGENT_RELAY_CLAUDE_BIN at the right binary.`;
}
