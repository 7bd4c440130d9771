/**
 * The claude CLI as a relay backend. A request is served, fastest first:
 * 1. by a live conversation: the CLI process that answered the previous turn of exactly this conversation,
 *    still waiting for the client's tool results or idle between turns; only the new turn is sent to it;
 * 2. for a new conversation, by a warm process started ahead of time and configured late (`initialize`);
 * 3. otherwise by a process started now, with earlier turns replayed from a session file (`--resume`).
 * The answer is read from stream-json stdout, whichever way the process was found.
 */
import { mkdir } from "node:fs/promises";
import { conversationFingerprint, requestSettingsKey } from "../../core/conversation-fingerprint.ts";
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../../core/relay-backend.ts";
import { RelayError } from "../../core/relay-error.ts";
import { addRelayUsage, emptyUsage, type RelayEvent, type RelayUsage } from "../../core/relay-event.ts";
import type { RelayContentPart, RelayMessage, RelayRequest, RelayWarning } from "../../core/relay-request.ts";
import { ConcurrencyLimiter } from "../../server/concurrency-limiter.ts";
import type { Logger } from "../../util/logger.ts";
import { buildClaudeInvocation, type ClaudeInvocation, type ClaudeInvocationSettings } from "./build-claude-invocation.ts";
import { claudeMissingMessage, claudeNotExecutableMessage, ClaudeProcess, ClaudeProcessRegistry } from "./claude-process.ts";
import { ClaudeRun } from "./claude-run.ts";
import { estimateClaudeInputTokens } from "./estimate-claude-input-tokens.ts";
import { ClientToolBridge, toMcpToolResult, type McpToolResult } from "./client-tool-bridge.ts";
import { LiveConversations, type LiveConversation, type LiveEndReason } from "./live-conversations.ts";
import { ClaudeOutputMapper } from "./map-claude-output.ts";
import { listClaudeModels, probeClaudeBinary, type ClaudeBinaryStatus } from "./probe-claude.ts";
import type { ProcessBackendObserver } from "./process-backend-observer.ts";
import { WarmPool, type SpawnSpec } from "./warm-pool.ts";
import { withFullClaudeIds } from "./with-full-claude-ids.ts";
import { removeStaleClaudeSessions, writeClaudeSession, type ClaudeSessionFile } from "./write-claude-session.ts";

export interface ClaudeBackendOptions extends ClaudeInvocationSettings {
  claudeBin: string;
  workdir: string;
  idleTimeoutMs: number;
  killGraceMs: number;
  maxConcurrent: number;
  maxQueue: number;
  /** CLI processes at most, of every kind (running, warm, live); idle ones are ended to stay below. */
  maxProcesses: number;
  /** Warm processes kept ready (0: off). */
  warmProcesses: number;
  /** A warm process unused this long is ended. */
  warmIdleTimeoutMs: number;
  /** Conversations kept live at most (waiting for tool results or idle between turns; 0: off). */
  maxLiveConversations: number;
  /** How long a process waits for the client's tool results. */
  toolHoldTimeoutMs: number;
  /** How long a process waits for the next turn of its conversation (0: not at all). */
  conversationIdleTimeoutMs: number;
  /** The environment the CLI inherits (the relay's own, normally). */
  env: Record<string, string | undefined>;
  /** The longest output line accepted from a CLI (--max-line-size); 64 MB by default. */
  maxLineBytes?: number;
  log: Logger;
  observer?: ProcessBackendObserver;
}

/** What a response cut by shutdown ends with: the client should retry elsewhere or later, not blame its request. */
function relayShuttingDownError(cause: unknown): RelayError {
  return new RelayError("unavailable", "agent-relay is shutting down; the answer was cut off. Retry once the relay is back.", {
    code: "relay_shutting_down",
    retryable: true,
    detail: cause instanceof RelayError ? (cause.detail ?? cause.message) : String(cause),
    cause,
  });
}

/**
 * Passes on a live process's answer. True when it answered; false when the process turned out to be dead
 * before it produced anything (the caller replays the conversation instead). stream-start is held back
 * until content follows, so a replay does not start the response twice.
 */
async function* answerUnlessProcessDied(answer: AsyncGenerator<RelayEvent>, run: ClaudeRun, context: BackendContext): AsyncGenerator<RelayEvent, boolean> {
  let produced = false;
  const held: RelayEvent[] = [];
  try {
    for await (const event of answer) {
      if (!produced && event.type === "stream-start") {
        held.push(event);
        continue;
      }
      if (!produced) {
        produced = true;
        yield* held.splice(0);
      }
      yield event;
    }
    yield* held.splice(0);
    return true;
  } catch (error) {
    if (produced || context.signal.aborted || run.process.running) throw error;
    return false;
  }
}

/** Models offered when the CLI cannot be asked. */
const fallbackModels: RelayModel[] = [
  { id: "default", displayName: "Default (the CLI's choice)" },
  { id: "opus", displayName: "Opus" },
  { id: "sonnet", displayName: "Sonnet" },
  { id: "haiku", displayName: "Haiku" },
];

const modelsCacheMs = 10 * 60_000;

/** What a run needs released when it ends. */
interface RunResources {
  /** Frees the concurrency slot; undefined once freed. */
  releaseSlot?: () => void;
  session?: ClaudeSessionFile;
}

/** One answer to produce from a run. */
interface Turn {
  run: ClaudeRun;
  request: RelayRequest;
  invocation: ClaudeInvocation;
  /** Identifies the client and the settings; part of every conversation fingerprint. */
  conversationKey: string;
  /** When the request arrived, for the start-up metric. */
  startedAt: number;
  /** How the process was found. */
  source: "live" | "warm" | "cold";
  /** Whether the turn goes to the process as a user message (not when tool results answer waiting calls). */
  sendUserMessage: boolean;
}

export class ClaudeBackend implements RelayBackend {
  readonly name = "claude-cli";
  readonly processes: ClaudeProcessRegistry;
  private shuttingDown = false;
  private readonly limiter: ConcurrencyLimiter;
  private readonly live: LiveConversations;
  private readonly pool: WarmPool;
  private readonly resources = new WeakMap<ClaudeRun, RunResources>();
  private binary: ClaudeBinaryStatus = {};
  private probing: Promise<ClaudeBinaryStatus> | undefined;
  private models: { list: RelayModel[]; at: number } | undefined;
  private readonly cleanups = new Set<Promise<void>>();
  /** Warnings already logged at warn level; repeats go to debug (clients such as Codex send the same ones every turn). */
  private readonly reportedWarnings = new Set<string>();

  constructor(private readonly options: ClaudeBackendOptions) {
    this.processes = new ClaudeProcessRegistry({ maxLineLength: options.maxLineBytes });
    this.limiter = new ConcurrencyLimiter({ maxActive: options.maxConcurrent, maxQueued: options.maxQueue });
    this.live = new LiveConversations({
      maxLive: options.maxLiveConversations,
      toolHoldTimeoutMs: options.toolHoldTimeoutMs,
      idleTimeoutMs: options.conversationIdleTimeoutMs,
      onEnd: (conversation, reason) => this.endLiveConversation(conversation, reason),
    });
    this.pool = new WarmPool({
      size: options.warmProcesses,
      idleTimeoutMs: options.warmIdleTimeoutMs,
      spawn: (spec) => ClaudeProcess.spawn(spec, this.processes),
      hasRoom: () => this.processes.size < options.maxProcesses,
      observer: options.observer?.pool,
      log: options.log,
    });
  }

  /** Start-up work: find the CLI and remove session files a killed relay left behind. */
  async start(): Promise<void> {
    const removed = await removeStaleClaudeSessions({ cwd: this.options.workdir, env: this.options.env, olderThanMs: 10 * 60_000 }).catch(() => 0);
    if (removed > 0) this.options.log.info("removed stale session files", { count: removed });
    await mkdir(this.options.workdir, { recursive: true, mode: 0o700 });
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
    if (this.binary.error) {
      const advice = this.binary.error.endsWith("is not executable") ? claudeNotExecutableMessage(this.options.claudeBin) : claudeMissingMessage(this.options.claudeBin);
      return { ok: false, reason: `${this.binary.error}. ${advice}`, details };
    }
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

  processIds(): number[] {
    return this.processes.pids();
  }

  load(): BackendLoad {
    return {
      active: this.limiter.active,
      queued: this.limiter.queued,
      details: {
        cli_processes: this.processes.size,
        held_tool_rounds: this.live.waitingForTools,
        live_conversations: this.live.size,
        warm_processes: this.pool.size,
      },
    };
  }

  /** The CLI has no token counter: a local estimate. */
  async countTokens(request: RelayRequest): Promise<RelayTokenCount> {
    return { inputTokens: estimateClaudeInputTokens(request), estimated: true };
  }

  /** The CLI's models with the full ids of its aliases, and opus, sonnet and haiku always. */
  async listModels(): Promise<RelayModel[]> {
    return withFullClaudeIds(await this.cliModels());
  }

  private async cliModels(): Promise<RelayModel[]> {
    if (this.models && Date.now() - this.models.at < modelsCacheMs) return this.models.list;
    const binary = await this.binaryPath().catch(() => undefined);
    if (!binary) return fallbackModels;
    try {
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
    try {
      yield* this.streamTurn(request, context);
    } catch (error) {
      // Whatever the CLI said as it was stopped, the reason is the relay's shutdown.
      if (this.shuttingDown && !context.signal.aborted) throw relayShuttingDownError(error);
      throw error;
    }
  }

  private async *streamTurn(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayEvent> {
    const startedAt = performance.now();
    const binary = await this.binaryPath();
    const invocation = buildClaudeInvocation(request, this.options, this.options.env);
    for (const warning of invocation.warnings) this.reportWarning(warning, context.log);
    const conversationKey = `${context.clientKey}\u0000${requestSettingsKey(request)}`;
    const { history, turn } = invocation.conversation;
    const live = this.live.take(conversationFingerprint(conversationKey, history));
    const toolResults = turn.content.flatMap((part) => (part.type === "tool-result" ? [part] : []));

    if (live) {
      // A continued process works like a new one: it takes a slot until its answer is done.
      let releaseSlot: () => void;
      try {
        releaseSlot = await this.limiter.acquire(context.signal);
      } catch (error) {
        this.endRun(live.run, false, context.log);
        throw error;
      }
      if (this.continueLiveConversation(live, turn.content, context)) {
        const resources = this.resources.get(live.run);
        if (resources) resources.releaseSlot = releaseSlot;
        const sendUserMessage = live.callIds.length === 0;
        const answer = this.respond({ run: live.run, request, invocation, conversationKey, startedAt, source: "live", sendUserMessage }, context);
        if (yield* answerUnlessProcessDied(answer, live.run, context)) return;
        context.log.info("conversation continues by replay", { reason: "its live process exited before answering", pid: live.run.process.pid });
        this.options.observer?.conversations.continued("replay");
        yield* this.startRun({ binary, request, invocation, conversationKey, startedAt }, context);
        return;
      }
      yield* this.startRun({ binary, request, invocation, conversationKey, startedAt, releaseSlot }, context);
      return;
    }
    if (toolResults.length > 0) {
      this.live.supersede(toolResults.map((part) => part.toolCallId));
      context.log.info("tool round continues by replay", { reason: "no process is waiting for these tool calls", tool_call_ids: toolResults.map((part) => part.toolCallId) });
      this.options.observer?.conversations.continued("replay");
    }
    yield* this.startRun({ binary, request, invocation, conversationKey, startedAt }, context);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    this.limiter.close();
    this.pool.close();
    this.live.endAll("shutdown");
    const deadline = Date.now() + graceMs;
    while (this.limiter.active > 0 && Date.now() < deadline) await Bun.sleep(50);
    await this.processes.stopAll(this.options.killGraceMs);
    await Promise.allSettled([...this.cleanups]);
  }

  /**
   * Sends the new turn to a live conversation's process: tool results to the calls it waits for, or a new
   * user turn to an idle one. False (and the conversation is ended) when the turn cannot be carried that way.
   */
  private continueLiveConversation(conversation: LiveConversation, turn: RelayContentPart[], context: BackendContext): boolean {
    const { run } = conversation;
    const waitingFor = conversation.callIds;
    const heldMs = Date.now() - conversation.since;
    const fallBack = (reason: string) => {
      context.log.info(waitingFor.length > 0 ? "tool round continues by replay" : "conversation continues by replay", { reason, pid: run.process.pid });
      this.options.observer?.conversations.continued("replay");
      this.endLiveConversation(conversation, "superseded");
      return false;
    };
    run.useLogger(context.log);
    // Killed (OOM, a user's kill -9) while it waited: the exit may not have been reported yet.
    if (!run.process.running || run.outputEnded) return fallBack("its process has exited");
    if (waitingFor.length === 0) {
      if (turn.some((part) => part.type === "tool-result")) return fallBack("the turn answers tool calls the process does not wait for");
      context.log.info("conversation continues in its live process", { pid: run.process.pid, idle_ms: heldMs });
      this.options.observer?.conversations.continued("live", heldMs);
      return true;
    }
    const results = new Map<string, McpToolResult>();
    for (const part of turn) {
      if (part.type === "tool-result") {
        const result = toMcpToolResult(part);
        if (!result) return fallBack("a tool result holds content MCP cannot carry");
        results.set(part.toolCallId, result);
      } else if (!(part.type === "text" && part.text.trim() === "")) {
        return fallBack("the turn adds more than tool results");
      }
    }
    if (results.size !== waitingFor.length || !waitingFor.every((id) => results.has(id))) return fallBack("the tool results do not answer the waiting calls");
    context.log.info("tool round continues through the waiting process", { pid: run.process.pid, held_ms: heldMs, tool_call_ids: waitingFor });
    this.options.observer?.conversations.continued("hold", heldMs);
    run.answerToolCalls(results);
    return true;
  }

  private async *startRun(
    start: { binary: string; request: RelayRequest; invocation: ClaudeInvocation; conversationKey: string; startedAt: number; releaseSlot?: () => void },
    context: BackendContext,
  ): AsyncGenerator<RelayEvent> {
    const { invocation } = start;
    const resources: RunResources = { releaseSlot: start.releaseSlot ?? (await this.limiter.acquire(context.signal)) };
    const spec: SpawnSpec = { binary: start.binary, args: invocation.args, env: invocation.env, cwd: this.options.workdir };
    let run: ClaudeRun | undefined;
    let source: Turn["source"] = "cold";
    try {
      let child: ClaudeProcess | undefined;
      if (invocation.history.length > 0) {
        // The CLI reads --resume history at start-up, so a conversation it has not seen needs a new process.
        this.pool.noteUse(spec);
        resources.session = await writeClaudeSession({
          history: invocation.history,
          cwd: this.options.workdir,
          env: invocation.env,
          cliVersion: this.binary.version,
          content: invocation.contentOptions,
        });
        const args = [...invocation.args, "--resume", resources.session.sessionId];
        if (invocation.anchorAtLastAssistant && resources.session.lastAssistantUuid) args.push("--resume-session-at", resources.session.lastAssistantUuid);
        await this.makeRoom();
        child = ClaudeProcess.spawn({ ...spec, args }, this.processes);
      } else {
        child = this.pool.take(spec);
        if (child) source = "warm";
        else {
          await this.makeRoom();
          child = ClaudeProcess.spawn(spec, this.processes);
        }
      }
      const bridge = invocation.toolNames ? new ClientToolBridge(invocation.offeredTools, invocation.toolNames) : undefined;
      run = new ClaudeRun({ process: child, bridge, log: context.log });
      this.resources.set(run, resources);
      context.log.debug("claude CLI started", {
        pid: child.pid,
        source,
        model: invocation.model ?? "default",
        history_turns: invocation.history.length,
        client_tools: invocation.offeredTools.length,
      });
      run.send(invocation.initialize);
    } catch (error) {
      if (run) this.endRun(run, false, context.log);
      else {
        await resources.session?.remove();
        resources.releaseSlot?.();
      }
      throw error;
    }
    yield* this.respond(
      { run, request: start.request, invocation, conversationKey: start.conversationKey, startedAt: start.startedAt, source, sendUserMessage: true },
      context,
    );
  }

  /**
   * Sends the turn and streams one answer; the run then ends, or is kept live: waiting for tool results when
   * the answer ends with client tool calls, idle until the next turn otherwise.
   */
  private async *respond(turn: Turn, context: BackendContext): AsyncGenerator<RelayEvent> {
    const { run, request, invocation } = turn;
    const resources = this.resources.get(run);
    const answer = new AnswerRecorder();
    const mapper = new ClaudeOutputMapper({
      requestedModel: request.model,
      toolNames: invocation.toolNames,
      structuredOutput: invocation.structuredOutput,
      reportedUsage: run.reportedUsage,
      onNotice: (message, fields) => context.log.info(message, { pid: run.process.pid, ...fields }),
    });
    if (turn.sendUserMessage) run.send(invocation.userMessage);
    let settled = false;
    let started = false;
    let refilled = false;
    const refill = () => {
      if (refilled || turn.source === "live") return;
      refilled = true;
      this.pool.refillSoon();
    };
    try {
      for await (const message of run.messages({ signal: context.signal, idleTimeoutMs: this.options.idleTimeoutMs })) {
        if (!started && message.type === "system" && message.subtype === "init") {
          started = true;
          this.options.observer?.turnStarted(turn.source, (performance.now() - turn.startedAt) / 1000);
          // The CLI has loaded the history by the time a turn starts; the file is not needed any more.
          await resources?.session?.remove();
        }
        const step = mapper.accept(message);
        if (step.interrupt) run.process.interrupt();
        answer.record(step.events);
        if (step.events.some((event) => event.type !== "stream-start")) refill();
        // Settle before handing out the last events: a consumer may stop pulling after `finish`.
        if (step.done) {
          settled = true;
          this.settleTurn(turn, answer, step.hold?.callIds ?? [], step.interrupt === true, context.log);
        }
        for (const event of step.events) yield event.type === "stream-start" ? { ...event, warnings: invocation.warnings } : event;
        if (step.done) return;
      }
      if (context.signal.aborted) return;
      const code = await Promise.race([run.process.exited, Bun.sleep(this.options.killGraceMs).then(() => null)]);
      throw new RelayError(
        "api_error",
        code === null
          ? "The Claude Code CLI closed its output without finishing the answer."
          : `The Claude Code CLI exited with code ${code} before finishing the answer.`,
        { status: 502, retryable: true, detail: `stderr: ${run.process.stderrTail.slice(-2000)}` },
      );
    } finally {
      if (!settled) this.endRun(run, false, context.log);
      refill();
    }
  }

  /** After an answer: keep the process for its conversation's next request, or end it. */
  private settleTurn(turn: Turn, answer: AnswerRecorder, callIds: string[], interrupted: boolean, log: Logger): void {
    const { run, request, invocation } = turn;
    if (interrupted) {
      // Interrupted after max_tokens: the CLI's own transcript now differs from what the client received.
      this.endRun(run, false, log);
      return;
    }
    const waiting = callIds.length > 0;
    run.reportedUsage = waiting ? addRelayUsage(run.reportedUsage ?? emptyUsage, answer.usage) : undefined;
    // Structured output's tool call is in the CLI's transcript but not in the client's: the next turn would differ.
    const keepIdle = !waiting && this.options.conversationIdleTimeoutMs > 0 && !invocation.structuredOutput;
    if (!waiting && !keepIdle) {
      this.endRun(run, true, log);
      return;
    }
    const fingerprint = conversationFingerprint(turn.conversationKey, [...request.messages, { role: "assistant", content: answer.content() } satisfies RelayMessage]);
    const resources = this.resources.get(run);
    resources?.releaseSlot?.();
    if (resources) resources.releaseSlot = undefined;
    if (!this.live.keep({ run, fingerprint, callIds, since: Date.now() })) {
      this.endRun(run, !waiting, log);
      return;
    }
    if (waiting) {
      this.options.observer?.conversations.held();
      log.info("holding the CLI for the client's tool results", { pid: run.process.pid, tool_call_ids: callIds, hold_timeout_ms: this.options.toolHoldTimeoutMs });
    } else {
      log.debug("keeping the CLI for the conversation's next turn", { pid: run.process.pid, idle_timeout_ms: this.options.conversationIdleTimeoutMs });
    }
  }

  private endLiveConversation(conversation: LiveConversation, reason: LiveEndReason): void {
    const heldMs = Date.now() - conversation.since;
    const waiting = conversation.callIds.length > 0;
    this.options.observer?.conversations.ended(waiting ? "tools" : "idle", reason, heldMs);
    const message = waiting ? "tool round hold ended" : "live conversation ended";
    if (reason !== "superseded" || waiting) this.options.log.info(message, { pid: conversation.run.process.pid, reason, held_ms: heldMs, tool_call_ids: conversation.callIds });
    // A CLI waiting for tool results is interrupted: closing its stdin would make it call the upstream once more.
    this.endRun(conversation.run, !waiting, this.options.log);
  }

  /**
   * Before a new process starts: ends idle processes (warm first, then the oldest live conversation) until
   * one more fits under the process cap, and waits for them to be gone, so memory stays under the cap.
   */
  private async makeRoom(): Promise<void> {
    const leaving: ClaudeProcess[] = [];
    while (this.processes.size - leaving.length >= this.options.maxProcesses) {
      const victim = this.pool.evictOne() ?? this.live.evictOldest()?.run.process;
      if (!victim) break;
      leaving.push(victim);
    }
    await Promise.all(leaving.map((victim) => Promise.race([victim.exited, Bun.sleep(this.options.killGraceMs + 1000)])));
  }

  /**
   * Ends a run off the response path: a finished CLI gets stdin closed and exits by itself; anything else
   * (disconnect, error, max_tokens, an abandoned tool round) is interrupted and then killed. The slot is freed
   * only once the process is gone, so the concurrency limit counts real processes.
   */
  private endRun(run: ClaudeRun, completed: boolean, log: Logger): void {
    const resources = this.resources.get(run);
    const cleanup = (async () => {
      try {
        if (completed) await run.process.finish(this.options.killGraceMs);
        else await run.process.stop(this.options.killGraceMs);
        run.process.kill();
      } catch (error) {
        log.error("failed to stop the claude CLI", { error: String(error) });
      } finally {
        await resources?.session?.remove().catch((error) => log.warn("could not remove session file", { error: String(error) }));
        resources?.releaseSlot?.();
        if (resources) resources.releaseSlot = undefined;
      }
    })();
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }

  private reportWarning(warning: RelayWarning, log: Logger): void {
    const key = `${warning.parameter}\u0000${warning.message}`;
    const repeated = this.reportedWarnings.has(key);
    if (!repeated) {
      if (this.reportedWarnings.size >= 1000) this.reportedWarnings.clear();
      this.reportedWarnings.add(key);
    }
    log[repeated ? "debug" : "warn"]("request parameter not honoured", { ...warning, ...(repeated ? { repeated: true } : {}) });
  }

  private async binaryPath(): Promise<string> {
    const status = this.binary.path && !this.binary.error ? this.binary : await this.probe();
    if (!status.path || status.error) {
      const notExecutable = status.error?.endsWith("is not executable") === true;
      throw new RelayError("unavailable", notExecutable ? claudeNotExecutableMessage(this.options.claudeBin) : claudeMissingMessage(this.options.claudeBin), {
        code: notExecutable ? "claude_cli_not_executable" : "claude_cli_not_found",
        retryable: false,
        detail: status.error,
      });
    }
    return status.path;
  }
}

/** The assistant turn a response produced (for the conversation fingerprint) and its usage. */
class AnswerRecorder {
  usage: RelayUsage = { ...emptyUsage };
  private text = "";
  private readonly calls = new Map<string, { name: string; input: string }>();

  record(events: RelayEvent[]): void {
    for (const event of events) {
      if (event.type === "text-delta") this.text += event.delta;
      if (event.type === "tool-input-start") this.calls.set(event.id, { name: event.toolName, input: "" });
      if (event.type === "tool-input-delta") {
        const call = this.calls.get(event.id);
        if (call) call.input += event.delta;
      }
      if (event.type === "finish") this.usage = event.usage;
    }
  }

  content(): RelayContentPart[] {
    const parts: RelayContentPart[] = this.text ? [{ type: "text", text: this.text }] : [];
    for (const [id, call] of this.calls) parts.push({ type: "tool-call", id, name: call.name, input: parseJson(call.input) });
    return parts;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return text;
  }
}
