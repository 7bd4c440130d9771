/**
 * The claude CLI as a relay backend: one CLI process per request, history through a resumed session file,
 * the new turn and the system prompt over stdin, and the answer read from stream-json stdout.
 */
import { mkdir } from "node:fs/promises";
import type { BackendContext, BackendHealth, RelayBackend, RelayModel } from "../../core/relay-backend.ts";
import { RelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import type { RelayRequest } from "../../core/relay-request.ts";
import { ConcurrencyLimiter } from "../../server/concurrency-limiter.ts";
import type { Logger } from "../../util/logger.ts";
import { buildClaudeInvocation, type ClaudeInvocationSettings } from "./build-claude-invocation.ts";
import type { ClaudeOutputMessage } from "./claude-messages.ts";
import { claudeMissingMessage, ClaudeProcess, ClaudeProcessRegistry } from "./claude-process.ts";
import { ClaudeOutputMapper } from "./map-claude-output.ts";
import { listClaudeModels, probeClaudeBinary, type ClaudeBinaryStatus } from "./probe-claude.ts";
import { removeStaleClaudeSessions, writeClaudeSession, type ClaudeSessionFile } from "./write-claude-session.ts";

export interface ClaudeBackendOptions extends ClaudeInvocationSettings {
  claudeBin: string;
  workdir: string;
  idleTimeoutMs: number;
  killGraceMs: number;
  maxConcurrent: number;
  maxQueue: number;
  /** The environment the CLI inherits (the relay's own, normally). */
  env: Record<string, string | undefined>;
  log: Logger;
}

/** Models offered when the CLI cannot be asked. */
const fallbackModels: RelayModel[] = [
  { id: "default", displayName: "Default (the CLI's choice)" },
  { id: "opus", displayName: "Opus" },
  { id: "sonnet", displayName: "Sonnet" },
  { id: "haiku", displayName: "Haiku" },
];

const modelsCacheMs = 10 * 60_000;

export class ClaudeBackend implements RelayBackend {
  readonly name = "claude-cli";
  readonly processes = new ClaudeProcessRegistry();
  private readonly limiter: ConcurrencyLimiter;
  private binary: ClaudeBinaryStatus = {};
  private probing: Promise<ClaudeBinaryStatus> | undefined;
  private models: { list: RelayModel[]; at: number } | undefined;
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly options: ClaudeBackendOptions) {
    this.limiter = new ConcurrencyLimiter({ maxActive: options.maxConcurrent, maxQueued: options.maxQueue });
  }

  /** Start-up work: find the CLI and remove session files a killed relay left behind. */
  async start(): Promise<void> {
    const removed = await removeStaleClaudeSessions({ cwd: this.options.workdir, env: this.options.env, olderThanMs: 10 * 60_000 }).catch(() => 0);
    if (removed > 0) this.options.log.info("removed stale session files", { count: removed });
    await this.probe();
  }

  /** Finds the binary and its version; called at start and again while it is missing. */
  probe(): Promise<ClaudeBinaryStatus> {
    this.probing ??= probeClaudeBinary(this.options.claudeBin, this.options.env).then((status) => {
      this.binary = status;
      this.probing = undefined;
      if (status.error) this.options.log.warn("claude CLI unavailable", { claude_bin: this.options.claudeBin, error: status.error });
      else this.options.log.info("claude CLI found", { path: status.path, version: status.version });
      return status;
    });
    return this.probing;
  }

  health(): BackendHealth {
    const details = { claude_bin: this.options.claudeBin, path: this.binary.path ?? null, version: this.binary.version ?? null };
    if (this.binary.error) return { ok: false, reason: `${this.binary.error}. ${claudeMissingMessage(this.options.claudeBin)}`, details };
    if (!this.binary.path) return { ok: false, reason: "the claude CLI has not been probed yet", details };
    return { ok: true, details };
  }

  /** Sets the address the relay actually listens on (known only after listen, e.g. with port 0). */
  setRelayAddress(address: { host: string; port: number }): void {
    this.options.relayAddress = address;
  }

  /** Kills every CLI process group at once (second signal). */
  killAll(): void {
    this.processes.killAll();
  }

  load() {
    return { active: this.limiter.active, queued: this.limiter.queued, processes: this.processes.size };
  }

  async listModels(): Promise<RelayModel[]> {
    if (this.models && Date.now() - this.models.at < modelsCacheMs) return this.models.list;
    const binary = await this.binaryPath().catch(() => undefined);
    if (!binary) return fallbackModels;
    try {
      await mkdir(this.options.workdir, { recursive: true });
      const list = await listClaudeModels({ binary, env: this.options.env, cwd: this.options.workdir });
      if (list.length === 0) return fallbackModels;
      this.models = { list, at: Date.now() };
      return list;
    } catch (error) {
      this.options.log.warn("could not list the CLI's models", { error: String(error) });
      return fallbackModels;
    }
  }

  async *stream(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayEvent> {
    const binary = await this.binaryPath();
    const invocation = buildClaudeInvocation(request, this.options, this.options.env);
    for (const warning of invocation.warnings) context.log.warn("request parameter not honoured", { ...warning });
    const release = await this.limiter.acquire(context.signal);
    let session: ClaudeSessionFile | undefined;
    let child: ClaudeProcess | undefined;
    let cleanup: Promise<void> | undefined;
    const cleanUpOnce = (completed: boolean) => {
      if (cleanup) return;
      cleanup = this.cleanUp({ child, session, completed, release, log: context.log });
      this.cleanups.add(cleanup);
      void cleanup.finally(() => this.cleanups.delete(cleanup!));
    };
    try {
      await mkdir(this.options.workdir, { recursive: true });
      const args = [...invocation.args];
      if (invocation.history.length > 0) {
        session = await writeClaudeSession({ history: invocation.history, cwd: this.options.workdir, env: invocation.env, cliVersion: this.binary.version });
        args.push("--resume", session.sessionId);
      }
      child = ClaudeProcess.spawn({ binary, args, env: invocation.env, cwd: this.options.workdir }, this.processes);
      context.log.debug("claude CLI started", { pid: child.pid, model: invocation.model ?? "default", history_turns: invocation.history.length });
      child.send(invocation.initialize);
      child.send(invocation.userMessage);

      const mapper = new ClaudeOutputMapper({
        requestedModel: request.model,
        onNotice: (message, fields) => context.log.info(message, { pid: child?.pid, ...fields }),
      });
      for await (const line of child.readLines({ signal: context.signal, idleTimeoutMs: this.options.idleTimeoutMs })) {
        if (line.kind === "invalid") {
          context.log.warn("claude CLI printed a line that is not JSON", { pid: child.pid, line: line.line.slice(0, 300) });
          continue;
        }
        const message = line.value as ClaudeOutputMessage;
        if (typeof message !== "object" || message === null || typeof message.type !== "string") continue;
        if (message.type === "control_request") {
          child.send({ type: "control_response", response: { subtype: "error", request_id: message.request_id, error: `agent-relay does not handle ${message.request.subtype}` } });
          continue;
        }
        if (session && message.type === "system" && message.subtype === "init") {
          // The CLI has loaded the history by the time a turn starts; the file is not needed any more.
          await session.remove();
        }
        const step = mapper.accept(message);
        if (step.interrupt) child.interrupt();
        // Clean up before handing out the last events: a consumer may stop pulling after `finish`.
        if (step.done) cleanUpOnce(!step.interrupt);
        for (const event of step.events) yield event;
        if (step.done) return;
      }
      if (context.signal.aborted) return;
      const code = await Promise.race([child.exited, Bun.sleep(this.options.killGraceMs).then(() => null)]);
      throw new RelayError(
        "api_error",
        code === null
          ? "The Claude Code CLI closed its output without finishing the answer."
          : `The Claude Code CLI exited with code ${code} before finishing the answer.`,
        { status: 502, retryable: true, detail: `stderr: ${child.stderrTail.slice(-2000)}` },
      );
    } finally {
      cleanUpOnce(false);
    }
  }

  async shutdown(graceMs: number): Promise<void> {
    this.limiter.close();
    const deadline = Date.now() + graceMs;
    while (this.limiter.active > 0 && Date.now() < deadline) await Bun.sleep(50);
    await this.processes.stopAll(this.options.killGraceMs);
    await Promise.allSettled([...this.cleanups]);
  }

  private async binaryPath(): Promise<string> {
    const status = this.binary.path && !this.binary.error ? this.binary : await this.probe();
    if (!status.path || status.error) {
      throw new RelayError("unavailable", claudeMissingMessage(this.options.claudeBin), {
        code: "claude_cli_not_found",
        retryable: false,
        detail: status.error,
      });
    }
    return status.path;
  }

  /**
   * Runs after the answer, off the response path: a finished CLI gets stdin closed and exits by itself;
   * anything else (disconnect, error, max_tokens) is interrupted and then killed. The slot is freed only
   * once the process is gone, so the concurrency limit counts real processes.
   */
  private async cleanUp(state: { child?: ClaudeProcess; session?: ClaudeSessionFile; completed: boolean; release: () => void; log: Logger }) {
    try {
      if (state.child) {
        if (state.completed) await state.child.finish(this.options.killGraceMs);
        else await state.child.stop(this.options.killGraceMs);
        state.child.kill();
      }
    } catch (error) {
      state.log.error("failed to stop the claude CLI", { error: String(error) });
    } finally {
      await state.session?.remove().catch((error) => state.log.warn("could not remove session file", { error: String(error) }));
      state.release();
    }
  }
}
