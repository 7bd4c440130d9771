/**
 * The claude CLI as a relay backend. A request either continues a tool round through the CLI process that is
 * still waiting for the client's results, or starts a new process: history through a resumed session file,
 * the new turn and the system prompt over stdin, the answer read from stream-json stdout.
 */
import { mkdir } from "node:fs/promises";
import { conversationFingerprint, requestSettingsKey } from "../../core/conversation-fingerprint.ts";
import type { BackendContext, BackendHealth, RelayBackend, RelayModel, ToolRoundObserver } from "../../core/relay-backend.ts";
import { RelayError } from "../../core/relay-error.ts";
import { emptyUsage, type RelayEvent, type RelayUsage } from "../../core/relay-event.ts";
import type { RelayContentPart, RelayRequest } from "../../core/relay-request.ts";
import { ConcurrencyLimiter } from "../../server/concurrency-limiter.ts";
import type { Logger } from "../../util/logger.ts";
import { buildClaudeInvocation, splitConversation, type ClaudeInvocationSettings } from "./build-claude-invocation.ts";
import { claudeMissingMessage, ClaudeProcess, ClaudeProcessRegistry } from "./claude-process.ts";
import { ClaudeRun } from "./claude-run.ts";
import { ClientToolBridge, toMcpToolResult, type McpToolResult } from "./client-tool-bridge.ts";
import type { ClientToolNames } from "./client-tool-names.ts";
import { HeldToolRounds, type HeldToolRound, type HoldEndReason } from "./held-tool-rounds.ts";
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
  /** Processes kept waiting for client tool results at most at once. */
  maxHeldToolRounds: number;
  /** How long a process waits for the client's tool results. */
  toolHoldTimeoutMs: number;
  /** The environment the CLI inherits (the relay's own, normally). */
  env: Record<string, string | undefined>;
  log: Logger;
  toolRounds?: ToolRoundObserver;
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

/** What one response serves from a run. */
interface ResponsePlan {
  run: ClaudeRun;
  request: RelayRequest;
  toolNames?: ClientToolNames;
  structuredOutput: boolean;
}

export class ClaudeBackend implements RelayBackend {
  readonly name = "claude-cli";
  readonly processes = new ClaudeProcessRegistry();
  private readonly limiter: ConcurrencyLimiter;
  private readonly held: HeldToolRounds;
  private readonly resources = new WeakMap<ClaudeRun, RunResources>();
  private binary: ClaudeBinaryStatus = {};
  private probing: Promise<ClaudeBinaryStatus> | undefined;
  private models: { list: RelayModel[]; at: number } | undefined;
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly options: ClaudeBackendOptions) {
    this.limiter = new ConcurrencyLimiter({ maxActive: options.maxConcurrent, maxQueued: options.maxQueue });
    this.held = new HeldToolRounds({
      maxHeld: options.maxHeldToolRounds,
      holdTimeoutMs: options.toolHoldTimeoutMs,
      onEnd: (round, reason) => this.endHold(round, reason),
    });
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
    return { active: this.limiter.active, queued: this.limiter.queued, processes: this.processes.size, held: this.held.size };
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
    const continuation = this.takeHeldRound(request, context);
    if (continuation) {
      yield* this.continueHeldRound(continuation.round, continuation.results, request, context);
      return;
    }
    yield* this.startRun(request, context);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.limiter.close();
    this.held.endAll("shutdown");
    const deadline = Date.now() + graceMs;
    while (this.limiter.active > 0 && Date.now() < deadline) await Bun.sleep(50);
    await this.processes.stopAll(this.options.killGraceMs);
    await Promise.allSettled([...this.cleanups]);
  }

  /**
   * The held process this request continues, when its last turn answers exactly the calls that process waits
   * for, adds nothing MCP cannot carry, and the settings and earlier turns are the ones the process has seen.
   */
  private takeHeldRound(request: RelayRequest, context: BackendContext): { round: HeldToolRound; results: Map<string, McpToolResult> } | undefined {
    let split: ReturnType<typeof splitConversation>;
    try {
      split = splitConversation(request.messages);
    } catch {
      return undefined;
    }
    const toolResults = split.turn.content.flatMap((part) => (part.type === "tool-result" ? [part] : []));
    if (toolResults.length === 0) return undefined;
    const callIds = toolResults.map((part) => part.toolCallId);
    const replay = (why: string) => {
      context.log.info("tool round continues by replay", { reason: why, tool_call_ids: callIds });
      this.options.toolRounds?.continued("replay");
      return undefined;
    };
    const onlyResults = split.turn.content.every((part) => part.type === "tool-result" || (part.type === "text" && part.text.trim() === ""));
    const results = new Map<string, McpToolResult>();
    for (const part of toolResults) {
      const result = toMcpToolResult(part);
      if (result) results.set(part.toolCallId, result);
    }
    if (!onlyResults || results.size < toolResults.length) {
      this.held.supersede(callIds);
      return replay(onlyResults ? "a tool result holds content MCP cannot carry" : "the turn adds more than tool results");
    }
    const round = this.held.take(callIds);
    if (!round) return replay("no process is waiting for these tool calls");
    if (round.fingerprint !== conversationFingerprint(requestSettingsKey(request), split.history) || round.run.outputEnded) {
      this.endHold(round, "superseded");
      return replay("the settings or earlier turns differ from the waiting process's");
    }
    return { round, results };
  }

  private async *continueHeldRound(round: HeldToolRound, results: Map<string, McpToolResult>, request: RelayRequest, context: BackendContext): AsyncGenerator<RelayEvent> {
    const heldMs = Date.now() - round.heldAt;
    this.options.toolRounds?.continued("hold", heldMs);
    context.log.info("tool round continues through the waiting process", { pid: round.run.process.pid, held_ms: heldMs, tool_call_ids: round.callIds });
    round.run.useLogger(context.log);
    round.run.answerToolCalls(results);
    const invocation = buildClaudeInvocation(request, this.options, this.options.env);
    yield* this.respond({ run: round.run, request, toolNames: invocation.toolNames, structuredOutput: invocation.structuredOutput }, context);
  }

  private async *startRun(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayEvent> {
    const binary = await this.binaryPath();
    const invocation = buildClaudeInvocation(request, this.options, this.options.env);
    for (const warning of invocation.warnings) context.log.warn("request parameter not honoured", { ...warning });
    const resources: RunResources = { releaseSlot: await this.limiter.acquire(context.signal) };
    let run: ClaudeRun | undefined;
    try {
      await mkdir(this.options.workdir, { recursive: true });
      const args = [...invocation.args];
      if (invocation.history.length > 0) {
        resources.session = await writeClaudeSession({
          history: invocation.history,
          cwd: this.options.workdir,
          env: invocation.env,
          cliVersion: this.binary.version,
          content: invocation.contentOptions,
        });
        args.push("--resume", resources.session.sessionId);
        if (invocation.anchorAtLastAssistant && resources.session.lastAssistantUuid) args.push("--resume-session-at", resources.session.lastAssistantUuid);
      }
      const child = ClaudeProcess.spawn({ binary, args, env: invocation.env, cwd: this.options.workdir }, this.processes);
      const bridge = invocation.toolNames ? new ClientToolBridge(invocation.offeredTools, invocation.toolNames) : undefined;
      run = new ClaudeRun({ process: child, bridge, log: context.log });
      this.resources.set(run, resources);
      context.log.debug("claude CLI started", { pid: child.pid, model: invocation.model ?? "default", history_turns: invocation.history.length, client_tools: invocation.offeredTools.length });
      run.send(invocation.initialize);
      run.send(invocation.userMessage);
    } catch (error) {
      if (run) this.endRun(run, false, context.log);
      else {
        await resources.session?.remove();
        resources.releaseSlot?.();
      }
      throw error;
    }
    yield* this.respond({ run, request, toolNames: invocation.toolNames, structuredOutput: invocation.structuredOutput }, context);
  }

  /** Streams one answer from a run; the run then ends, or is held when the answer ends with client tool calls. */
  private async *respond(plan: ResponsePlan, context: BackendContext): AsyncGenerator<RelayEvent> {
    const { run, request } = plan;
    const resources = this.resources.get(run);
    const answer = new AnswerRecorder();
    const mapper = new ClaudeOutputMapper({
      requestedModel: request.model,
      toolNames: plan.toolNames,
      structuredOutput: plan.structuredOutput,
      reportedUsage: run.reportedUsage,
      onNotice: (message, fields) => context.log.info(message, { pid: run.process.pid, ...fields }),
    });
    let settled = false;
    try {
      for await (const message of run.messages({ signal: context.signal, idleTimeoutMs: this.options.idleTimeoutMs })) {
        if (resources?.session && message.type === "system" && message.subtype === "init") {
          // The CLI has loaded the history by the time a turn starts; the file is not needed any more.
          await resources.session.remove();
        }
        const step = mapper.accept(message);
        if (step.interrupt) run.process.interrupt();
        answer.record(step.events);
        // Settle before handing out the last events: a consumer may stop pulling after `finish`.
        if (step.done) {
          settled = true;
          if (step.hold) this.holdRound(run, request, answer, step.hold.callIds, context.log);
          else this.endRun(run, !step.interrupt, context.log);
        }
        for (const event of step.events) yield event;
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
    }
  }

  /** Keeps the process waiting for the client's tool results; its slot is free for other requests meanwhile. */
  private holdRound(run: ClaudeRun, request: RelayRequest, answer: AnswerRecorder, callIds: string[], log: Logger): void {
    run.reportedUsage = addUsage(run.reportedUsage, answer.usage);
    const fingerprint = conversationFingerprint(requestSettingsKey(request), [...request.messages, { role: "assistant", content: answer.content() }]);
    const resources = this.resources.get(run);
    resources?.releaseSlot?.();
    if (resources) resources.releaseSlot = undefined;
    this.held.hold({ run, callIds, fingerprint, heldAt: Date.now() });
    this.options.toolRounds?.held();
    log.info("holding the CLI for the client's tool results", { pid: run.process.pid, tool_call_ids: callIds, hold_timeout_ms: this.options.toolHoldTimeoutMs });
  }

  private endHold(round: HeldToolRound, reason: HoldEndReason): void {
    const heldMs = Date.now() - round.heldAt;
    this.options.toolRounds?.holdEnded(reason, heldMs);
    this.options.log.info("tool round hold ended", { pid: round.run.process.pid, reason, held_ms: heldMs, tool_call_ids: round.callIds });
    this.endRun(round.run, false, this.options.log);
  }

  /**
   * Ends a run off the response path: a finished CLI gets stdin closed and exits by itself; anything else
   * (disconnect, error, max_tokens, an abandoned hold) is interrupted and then killed. The slot is freed only
   * once the process is gone, so the concurrency limit counts real processes.
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
}

/** The assistant turn a response produced (for the hold fingerprint) and its usage. */
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

function addUsage(total: RelayUsage | undefined, usage: RelayUsage): RelayUsage {
  const base = total ?? emptyUsage;
  return {
    inputTokens: base.inputTokens + usage.inputTokens,
    outputTokens: base.outputTokens + usage.outputTokens,
    cacheCreationInputTokens: base.cacheCreationInputTokens + usage.cacheCreationInputTokens,
    cacheReadInputTokens: base.cacheReadInputTokens + usage.cacheReadInputTokens,
  };
}
