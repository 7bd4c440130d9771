/**
 * Recycling: a process whose conversation is over is cleared with `/clear` (a new session: the next turn
 * reaches the upstream with none of the earlier messages; the system prompt, client tools and output schema
 * given with `initialize` stay in effect), then given a compact boundary so that the notes the CLI records for
 * the clear itself are not sent either: the next conversation's first turn reaches the upstream exactly as a
 * new process's would. It is put back as a ready process for the same client's next new conversation with the
 * same settings, instead of being ended. A start-up costs about 1.3 s of CPU and
 * 300 MB at its peak; a clear costs milliseconds. See docs/claude-cli-findings.md ("Recycling a process").
 *
 * The recycler owns a process from `recycle` until it is in the ready pool or ended. A process is ended
 * instead when recycling is off, when it is over its budget (conversations, age, resident memory), when it
 * is unhealthy (exited, output closed), or when the clear fails.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../util/logger.ts";
import type { ClaudeRun } from "./claude-run.ts";
import type { ClaudeRunSlots } from "./claude-run-slots.ts";
import type { MemoryGovernor } from "./memory-governor.ts";
import type { ProcessBackendObserver } from "./process-backend-observer.ts";
import type { ProcessHandoffs } from "./process-handoffs.ts";
import type { ProcessIdentity, ProcessLife, RecycledProcesses } from "./recycled-processes.ts";

/** When a process has served enough: it is ended instead of cleared. */
export interface RecycleBudget {
  /** Conversations at most (0: no limit). */
  maxConversations: number;
  /** Age at most, in ms (0: no limit). */
  maxAgeMs: number;
  /** Resident memory of its process group at most, in bytes (0: no limit). */
  maxResidentBytes: number;
}

export type RetireReason = "off" | "conversations" | "age" | "memory" | "unhealthy" | "clear-failed";

export interface ClaudeRecyclerOptions {
  enabled: boolean;
  budget: RecycleBudget;
  recycled: RecycledProcesses;
  slots: ClaudeRunSlots;
  memory: MemoryGovernor;
  /** Told when a process's answer is done and when a process is free for another conversation. */
  handoffs?: ProcessHandoffs;
  observer?: ProcessBackendObserver;
  log: Logger;
}

/** How long a clear may take before the process is given up (it takes about 10 ms idle, more on a busy machine). */
const clearTimeoutMs = 15_000;

export class ClaudeRecycler {
  private readonly lives = new WeakMap<ClaudeRun, ProcessLife>();

  constructor(private readonly options: ClaudeRecyclerOptions) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Records a new process's identity (at its first request). */
  register(run: ClaudeRun, identity: ProcessIdentity): ProcessLife {
    const life: ProcessLife = { identity, bornAt: Date.now(), conversations: 1, turns: 0 };
    this.lives.set(run, life);
    return life;
  }

  lifeOf(run: ClaudeRun): ProcessLife | undefined {
    return this.lives.get(run);
  }

  /** A recycled process starts its next conversation. */
  noteReuse(run: ClaudeRun): void {
    const life = this.lives.get(run);
    if (!life) return;
    life.conversations++;
    this.options.observer?.recycle.reused(life.conversations);
  }

  noteTurn(run: ClaudeRun): void {
    const life = this.lives.get(run);
    if (life) life.turns++;
  }

  /** A finished conversation's process is kept idle, open to a take-over by the same client's new conversation. */
  noteIdle(run: ClaudeRun): void {
    this.options.handoffs?.answered(run);
    const life = this.lives.get(run);
    if (life && this.options.enabled) this.options.handoffs?.freed(life.identity);
  }

  /** The run waits for the client's tool results: it will not be free for another conversation soon. */
  noteHeld(run: ClaudeRun): void {
    this.options.handoffs?.forget(run);
  }

  /**
   * The run's conversation is over and the run answered completely: clear it and put it back, or end it.
   * Takes ownership of the run; its slot is freed once it is back in the pool (or gone).
   */
  recycle(run: ClaudeRun, log: Logger): void {
    const reason = this.retireReason(run);
    if (reason) {
      this.retire(run, reason, true, log);
      return;
    }
    this.options.slots.track(
      (async () => {
        if (!(await this.clear(run, log))) {
          this.retire(run, "clear-failed", false, log);
          return;
        }
        this.options.slots.releaseSlot(run);
        const life = this.lives.get(run)!;
        this.options.recycled.put({ run, life, since: Date.now() });
        this.options.handoffs?.answered(run);
        this.options.handoffs?.freed(life.identity);
      })(),
    );
  }

  /** Clears a run for the caller (a new conversation taking over an idle one); false when it had to be ended. */
  async clearForReuse(run: ClaudeRun, log: Logger): Promise<boolean> {
    const reason = this.retireReason(run);
    if (reason) {
      this.retire(run, reason, true, log);
      return false;
    }
    if (await this.clear(run, log)) return true;
    this.retire(run, "clear-failed", false, log);
    return false;
  }

  /** Why the run must not serve another conversation, or undefined when it may. */
  private retireReason(run: ClaudeRun): RetireReason | undefined {
    const life = this.lives.get(run);
    const { budget } = this.options;
    if (!this.options.enabled) return "off";
    if (!life || !run.process.running || run.outputEnded) return "unhealthy";
    if (budget.maxConversations > 0 && life.conversations >= budget.maxConversations) return "conversations";
    if (budget.maxAgeMs > 0 && Date.now() - life.bornAt >= budget.maxAgeMs) return "age";
    const resident = this.options.memory.residentBytes(run.process.pid);
    if (budget.maxResidentBytes > 0 && resident !== undefined && resident > budget.maxResidentBytes) return "memory";
    return undefined;
  }

  private retire(run: ClaudeRun, reason: RetireReason, completed: boolean, log: Logger): void {
    this.options.handoffs?.forget(run);
    if (reason !== "off") {
      this.options.observer?.recycle.retired(reason);
      log.debug("CLI process retired instead of recycled", { pid: run.process.pid, reason, conversations: this.lives.get(run)?.conversations });
    }
    this.options.slots.endRun(run, completed, log);
  }

  /**
   * Sends `/clear` and waits for its result, then a compact boundary: the next user turn starts a new session
   * and reaches the upstream exactly as a new process's first turn would.
   */
  private async clear(run: ClaudeRun, log: Logger): Promise<boolean> {
    const startedAt = performance.now();
    run.useLogger(log);
    run.reportedUsage = undefined;
    run.send({ type: "user", message: { role: "user", content: [{ type: "text", text: "/clear" }] }, parent_tool_use_id: null });
    try {
      for await (const message of run.messages({ idleTimeoutMs: clearTimeoutMs })) {
        if (message.type !== "result") continue;
        if (message.is_error) {
          log.warn("the claude CLI refused /clear", { pid: run.process.pid, result: message.result?.slice(0, 300) });
          return false;
        }
        run.send(compactBoundaryAfterClear(message.session_id));
        this.options.observer?.recycle.cleared((performance.now() - startedAt) / 1000);
        log.debug("CLI process cleared for another conversation", { pid: run.process.pid, clear_ms: Math.round(performance.now() - startedAt) });
        return true;
      }
    } catch (error) {
      log.warn("clearing the claude CLI failed", { pid: run.process.pid, error: String(error) });
    }
    return false;
  }
}

/**
 * Claude Code 2.1.197 records `/clear` in the new session as three local-command messages (a caveat, the
 * `<command-name>` block, an empty `<local-command-stdout>`) and merges them into the next user turn. A
 * `compact_boundary` system message written to stdin is appended to the conversation as is (no reply, no
 * upstream call), and the CLI sends the upstream only what follows the last boundary, so the clear's notes stay
 * behind it. Measured in bench/probe-recycle.ts; see docs/claude-cli-findings.md ("Recycling a process").
 */
export function compactBoundaryAfterClear(sessionId: string | undefined): Record<string, unknown> {
  return {
    type: "system",
    subtype: "compact_boundary",
    compact_metadata: { trigger: "manual", pre_tokens: 0 },
    uuid: randomUUID(),
    session_id: sessionId ?? "",
  };
}
