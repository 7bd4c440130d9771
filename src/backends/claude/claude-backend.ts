/**
 * The claude CLI as a relay backend: the facade the relay talks to (start-up, health, models, load,
 * shutdown). A request's way through it, each in its own file:
 * - choose-claude-run.ts: which process answers (live conversation, warm process, or a new one);
 * - stream-claude-turn.ts: the per-turn loop from the CLI's stream-json output to relay events;
 * - settle-claude-turn.ts: after the answer, keep the process for the conversation, recycle it or end it;
 * - claude-recycler.ts, recycled-processes.ts, steal-policy.ts: clearing processes for new conversations;
 * - claude-run-slots.ts, memory-governor.ts: concurrency slots, the process cap, the memory budget, and
 *   ending processes.
 * Who owns a process at each moment is described in claude-turn.ts.
 */
import { mkdir } from "node:fs/promises";
import { createHash } from "node:crypto";
import { requestSettingsKey } from "../../core/conversation-fingerprint.ts";
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../../core/relay-backend.ts";
import { RelayError } from "../../core/relay-error.ts";
import type { RelayBackendEvent } from "../../core/relay-event.ts";
import type { RelayRequest, RelayWarning } from "../../core/relay-request.ts";
import type { Logger } from "../../util/logger.ts";
import { buildClaudeInvocation, type ClaudeInvocation } from "./build-claude-invocation.ts";
import { claudeMissingMessage, claudeNotExecutableMessage, ClaudeProcess, ClaudeProcessRegistry } from "./claude-process.ts";
import { ClaudeRecycler } from "./claude-recycler.ts";
import { ProcessHandoffs } from "./process-handoffs.ts";
import type { ClaudeRun } from "./claude-run.ts";
import { ClaudeRunSlots } from "./claude-run-slots.ts";
import type { ClaudeBackendOptions, ClaudeBackendParts } from "./claude-turn.ts";
import { chooseClaudeRun } from "./choose-claude-run.ts";
import { LiveConversations } from "./live-conversations.ts";
import { MemoryGovernor } from "./memory-governor.ts";
import { defaultMemoryBudget } from "./process-memory.ts";
import { RecentDemand } from "./recent-demand.ts";
import { RecycledProcesses, type ProcessIdentity } from "./recycled-processes.ts";
import { StealPolicy } from "./steal-policy.ts";
import { listClaudeModels, probeClaudeBinary, type ClaudeBinaryStatus } from "./probe-claude.ts";
import { estimateClaudeInputTokens } from "./estimate-claude-input-tokens.ts";
import { endLiveConversation } from "./settle-claude-turn.ts";
import { streamClaudeTurn } from "./stream-claude-turn.ts";
import { spawnKey, WarmPool, type SpawnSpec } from "./warm-pool.ts";
import { readWarmSettings, restoreSpawnSpec, writeWarmSettings } from "./warm-settings-file.ts";
import { withFullClaudeIds } from "./with-full-claude-ids.ts";
import { removeStaleClaudeSessions } from "./write-claude-session.ts";

export type { ClaudeBackendOptions } from "./claude-turn.ts";

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
async function* answerUnlessProcessDied(answer: AsyncGenerator<RelayBackendEvent>, run: ClaudeRun, context: BackendContext): AsyncGenerator<RelayBackendEvent, boolean> {
  let produced = false;
  const held: RelayBackendEvent[] = [];
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

export class ClaudeBackend implements RelayBackend {
  readonly name = "claude-cli";
  readonly processes: ClaudeProcessRegistry;
  private shuttingDown = false;
  private readonly parts: ClaudeBackendParts;
  private binary: ClaudeBinaryStatus = {};
  private probing: Promise<ClaudeBinaryStatus> | undefined;
  private models: { list: RelayModel[]; at: number } | undefined;
  /** Warnings already logged at warn level; repeats go to debug (clients such as Codex send the same ones every turn). */
  private readonly reportedWarnings = new Set<string>();
  /** Requests answered at once, lately: how many ready processes are worth keeping. */
  private readonly demand: RecentDemand;

  constructor(private readonly options: ClaudeBackendOptions) {
    this.processes = new ClaudeProcessRegistry({ maxLineLength: options.maxLineBytes });
    const live = new LiveConversations({
      maxLive: options.maxLiveConversations,
      toolHoldTimeoutMs: options.toolHoldTimeoutMs,
      idleTimeoutMs: options.conversationIdleTimeoutMs,
      onEnd: (conversation, reason) => endLiveConversation(this.parts, conversation, reason),
    });
    this.demand = new RecentDemand(options.spareIdleTimeoutMs);
    const recycled = new RecycledProcesses({
      idleTimeoutMs: options.warmIdleTimeoutMs,
      spareIdleTimeoutMs: options.spareIdleTimeoutMs,
      // Ready and warm processes both take new conversations: together they are kept to the recent demand, and
      // to at least --warm-processes (the pool holds off while any are ready, but one it started during a burst
      // is still there after it, and counts).
      wanted: () => Math.max(0, Math.max(this.demand.recentPeak(), options.warmProcesses) - this.parts.pool.size),
      onEnd: (entry, reason) => {
        if (reason !== "exited") options.observer?.recycle.evicted(reason);
        this.parts.slots.endRun(entry.run, true, options.log);
        // The ready process stood in for a warm one (below); now the pool may need one again.
        if (reason === "idle") this.parts.pool.refillSoon();
      },
    });
    const pool = new WarmPool({
      size: options.warmProcesses,
      idleTimeoutMs: options.warmIdleTimeoutMs,
      spawn: (spec) => ClaudeProcess.spawn(spec, this.processes),
      hasRoom: () => this.processes.size < options.maxProcesses && !this.burstServedByRecycling(),
      onSettingsUsed: () => this.saveWarmSettingsSoon(),
      observer: options.observer?.pool,
      log: options.log,
    });
    const slots = new ClaudeRunSlots({
      maxConcurrent: options.maxConcurrent,
      maxQueue: options.maxQueue,
      maxProcesses: options.maxProcesses,
      killGraceMs: options.killGraceMs,
      processes: this.processes,
      evictIdle: () => this.giveUpLeastRecentlyUsed("room"),
      overMemoryBudget: async (leaving) => {
        await memory.refresh();
        return memory.wouldExceed(leaving.reduce((sum, process) => sum + memory.bytesOf(process.pid), 0));
      },
    });
    const memory = new MemoryGovernor({
      budgetBytes: options.maxMemoryBytes ?? defaultMemoryBudget(),
      pids: () => this.processes.pids(),
      giveUpOne: () => this.giveUpLeastRecentlyUsed("memory")?.pid,
      log: options.log,
    });
    const handoffs = new ProcessHandoffs({
      enabled: options.recycle,
      // A burst (requests queued for a slot, or draining) is served by the processes it has.
      mayGrow: () => this.parts.slots.queued === 0 && !this.demand.draining(),
    });
    const recycler = new ClaudeRecycler({
      enabled: options.recycle,
      handoffs,
      budget: { maxConversations: options.recycleMaxConversations, maxAgeMs: options.recycleMaxAgeMs, maxResidentBytes: options.recycleMaxResidentBytes },
      recycled,
      slots,
      memory,
      observer: options.observer,
      log: options.log,
    });
    // A taken-over conversation that comes back later than a live one could have is no regret.
    const steal = new StealPolicy({ windowMs: Math.max(options.conversationIdleTimeoutMs, 60_000) });
    this.parts = { options, processes: this.processes, slots, pool, live, recycled, recycler, handoffs, steal, memory, cliVersion: () => this.binary.version };
  }

  /** Start-up work: find the CLI and remove session files a killed relay left behind. */
  async start(): Promise<void> {
    const removed = await removeStaleClaudeSessions({ cwd: this.options.workdir, env: this.options.env, olderThanMs: 10 * 60_000 }).catch(() => 0);
    if (removed > 0) this.options.log.info("removed stale session files", { count: removed });
    await mkdir(this.options.workdir, { recursive: true, mode: 0o700 });
    await this.probe();
    this.parts.memory.start();
    await this.primeWarmPool();
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
    const { slots, live, pool } = this.parts;
    return {
      active: slots.active,
      queued: slots.queued,
      details: {
        cli_processes: this.processes.size,
        held_tool_rounds: live.waitingForTools,
        live_conversations: live.size,
        warm_processes: pool.size,
        ready_processes: this.parts.recycled.size,
        memory_in_use_bytes: this.parts.memory.inUseBytes,
        memory_budget_bytes: this.parts.memory.budgetBytes,
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

  async *stream(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayBackendEvent> {
    this.demand.rise();
    try {
      yield* this.streamTurn(request, context);
    } catch (error) {
      // Whatever the CLI said as it was stopped, the reason is the relay's shutdown.
      if (this.shuttingDown && !context.signal.aborted) throw relayShuttingDownError(error);
      throw error;
    } finally {
      this.demand.fall();
    }
  }

  private async *streamTurn(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayBackendEvent> {
    const startedAt = performance.now();
    const binary = await this.binaryPath();
    const invocation = buildClaudeInvocation(request, this.options, this.options.env);
    for (const warning of invocation.warnings) this.reportWarning(warning, context.log);
    const conversationKey = `${context.clientKey}\u0000${requestSettingsKey(request)}`;
    const identity = processIdentity(context.clientKey, invocation, { binary, args: invocation.args, env: invocation.env, cwd: this.options.workdir });
    const wanted = { binary, request, invocation, conversationKey, identity, startedAt };
    const turn = await chooseClaudeRun(this.parts, wanted, context);
    if (turn.source !== "live") {
      yield* streamClaudeTurn(this.parts, turn, context);
      return;
    }
    if (yield* answerUnlessProcessDied(streamClaudeTurn(this.parts, turn, context), turn.run, context)) return;
    // Its process died (killed while idle, out of memory) before answering: the conversation is no longer live.
    context.log.info("conversation continues by replay", { reason: "its live process exited before answering", pid: turn.run.process.pid });
    this.options.observer?.conversations.continued("replay");
    yield* streamClaudeTurn(this.parts, await chooseClaudeRun(this.parts, wanted, context), context);
  }

  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    const { slots, pool, live, recycled, memory } = this.parts;
    slots.close();
    memory.stop();
    pool.close();
    recycled.close();
    live.endAll("shutdown");
    await slots.drain(Date.now() + graceMs);
    await this.processes.stopAll(this.options.killGraceMs);
    await slots.settled();
  }

  /**
   * Starts warm processes for the settings used before the last shutdown, so the first request after a
   * restart can be served warm. (The very first start has nothing to go by: a guess would cost a process.)
   */
  private async primeWarmPool(): Promise<void> {
    if (this.options.warmProcesses <= 0 || !this.options.warmSettingsFile || !this.binary.path || this.binary.error) return;
    const saved = await readWarmSettings(this.options.warmSettingsFile);
    if (saved.length === 0) return;
    const plain = buildClaudeInvocation(
      { model: "default", messages: [{ role: "user", content: [{ type: "text", text: "." }] }], stream: true, warnings: [] } as unknown as RelayRequest,
      this.options,
      this.options.env,
    );
    const base: SpawnSpec = { binary: this.binary.path, args: plain.args, env: plain.env, cwd: this.options.workdir };
    this.parts.pool.prime(saved.map((settings) => restoreSpawnSpec(settings, base)));
  }

  private saveTimer: Timer | undefined;
  private savedKeys = "";

  /** Saves the settings in use a moment later (once for a burst of requests), when they changed. */
  private saveWarmSettingsSoon(): void {
    const file = this.options.warmSettingsFile;
    if (!file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const specs = this.parts.pool.recentSpecs();
      const keys = specs.map(spawnKey).join();
      if (keys === this.savedKeys) return;
      this.savedKeys = keys;
      writeWarmSettings(file, specs).catch((error) => this.options.log.debug("could not save the warm pool's settings", { error: String(error) }));
    }, 1000);
    this.saveTimer.unref?.();
  }

  /**
   * Whether the warm pool holds off while recycled processes serve a burst: while processes are ready, requests
   * wait for one about to be freed (or queue for a slot), a claimed process is being cleared, or a burst is
   * draining (under half the recent peak of requests in flight: the processes that served it are free or
   * about to be). A warm process would then only add memory: under a burst every refill started another
   * process, and at its end the pool refilled while the burst's processes stood idle (measured: 2 more
   * processes, +300 MB PSS at the peak, bench/recycle-burst-breakdown.ts). A steady load is not held back: at
   * c=4 the refills are how the relay grows to c processes (holding them halved throughput, measured).
   */
  private burstServedByRecycling(): boolean {
    if (!this.options.recycle) return false;
    const { recycled, handoffs, slots } = this.parts;
    return recycled.size > 0 || handoffs.waiting > 0 || handoffs.pledged > 0 || slots.queued > 0 || this.demand.draining();
  }

  /**
   * Ends the idle process used least recently, whatever kind it is (warm, cleared and ready, or an idle live
   * conversation; conversations waiting for tool results last): returns it, or undefined when none is idle.
   */
  private giveUpLeastRecentlyUsed(reason: "room" | "memory") {
    const { pool, recycled, live } = this.parts;
    const candidates = [
      { since: pool.oldestSince(), evict: () => pool.evictOne(reason) },
      { since: recycled.oldestSince(), evict: () => recycled.evictOldest(reason)?.run.process },
      { since: live.oldestSince(), evict: () => live.evictOldest(reason)?.run.process },
    ].filter((candidate) => candidate.since !== undefined);
    candidates.sort((a, b) => a.since! - b.since!);
    return candidates[0]?.evict();
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

/** What a process serving this request is bound to: the client, its spawn settings and its late configuration. */
function processIdentity(clientKey: string, invocation: ClaudeInvocation, spec: { binary: string; args: string[]; env: Record<string, string | undefined>; cwd: string }): ProcessIdentity {
  const late = createHash("sha256").update(JSON.stringify([invocation.initialize, invocation.offeredTools])).digest("hex");
  return { clientKey, spawnKey: spawnKey(spec), lateKey: late };
}
