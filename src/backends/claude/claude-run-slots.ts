/**
 * Concurrency slots, the process cap, and the end of runs: the one place that ends a request's CLI process.
 * A slot is held from the moment a request gets a process until that process is gone (or handed to a
 * live conversation), so the concurrency limit counts real processes.
 */
import { ConcurrencyLimiter } from "../../server/concurrency-limiter.ts";
import type { Logger } from "../../util/logger.ts";
import type { ClaudeProcess, ClaudeProcessRegistry } from "./claude-process.ts";
import type { ClaudeRun } from "./claude-run.ts";
import type { ClaudeSessionFile } from "./write-claude-session.ts";

/** What a run needs released when it ends. */
export interface RunResources {
  /** Frees the concurrency slot; undefined once freed. */
  releaseSlot?: () => void;
  /** The session file a replay was started from, removed once the CLI has read it. */
  session?: ClaudeSessionFile;
}

export interface ClaudeRunSlotsOptions {
  maxConcurrent: number;
  maxQueue: number;
  /** CLI processes at most, of every kind. */
  maxProcesses: number;
  killGraceMs: number;
  processes: ClaudeProcessRegistry;
  /** Ends the least recently used idle process for room: returns it, or undefined when none is idle. */
  evictIdle(): ClaudeProcess | undefined;
  /** Whether one more process would exceed the memory budget while `leaving` are on their way out. */
  overMemoryBudget(leaving: ClaudeProcess[]): Promise<boolean>;
}

export class ClaudeRunSlots {
  private readonly limiter: ConcurrencyLimiter;
  private readonly resources = new WeakMap<ClaudeRun, RunResources>();
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly options: ClaudeRunSlotsOptions) {
    this.limiter = new ConcurrencyLimiter({ maxActive: options.maxConcurrent, maxQueued: options.maxQueue });
  }

  get active(): number {
    return this.limiter.active;
  }

  get queued(): number {
    return this.limiter.queued;
  }

  /** Waits for a free slot; the returned function frees it. A full queue throws a rate_limit error. */
  acquire(signal: AbortSignal): Promise<() => void> {
    return this.limiter.acquire(signal);
  }

  /** Records what a run holds, so ending it releases them. */
  attach(run: ClaudeRun, resources: RunResources): void {
    this.resources.set(run, resources);
  }

  /** What a run holds (its slot, its session file). */
  of(run: ClaudeRun): RunResources | undefined {
    return this.resources.get(run);
  }

  /** Frees a run's slot while its process lives on (kept for its conversation). */
  releaseSlot(run: ClaudeRun): void {
    const resources = this.resources.get(run);
    resources?.releaseSlot?.();
    if (resources) resources.releaseSlot = undefined;
  }

  /** Gives a run a slot acquired for a new request (a live conversation continued). */
  assignSlot(run: ClaudeRun, releaseSlot: () => void): void {
    const resources = this.resources.get(run);
    if (resources) resources.releaseSlot = releaseSlot;
    else this.resources.set(run, { releaseSlot });
  }

  /**
   * Before a new process starts: ends idle processes (least recently used first) until one more fits under
   * the process cap and the memory budget, and waits for them to be gone, so memory stays under both.
   */
  async makeRoom(): Promise<void> {
    const leaving: ClaudeProcess[] = [];
    while (this.options.processes.size - leaving.length >= this.options.maxProcesses || (await this.options.overMemoryBudget(leaving))) {
      const victim = this.options.evictIdle();
      if (!victim) break;
      leaving.push(victim);
    }
    await Promise.all(leaving.map((victim) => Promise.race([victim.exited, Bun.sleep(this.options.killGraceMs + 1000)])));
  }

  /**
   * Ends a run off the response path: a finished CLI gets stdin closed and exits by itself; anything else
   * (disconnect, error, max_tokens, an abandoned tool round) is interrupted and then killed. The slot is freed
   * only once the process is gone.
   */
  endRun(run: ClaudeRun, completed: boolean, log: Logger): void {
    const resources = this.resources.get(run);
    this.track(
      (async () => {
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
      })(),
    );
  }

  /** Keeps background work (ending a process) so shutdown can wait for it. */
  track(work: Promise<void>): void {
    this.cleanups.add(work);
    void work.finally(() => this.cleanups.delete(work));
  }

  /** Refuses new requests. */
  close(): void {
    this.limiter.close();
  }

  /** Waits for running requests to end (up to the deadline) and for every ending process to be gone. */
  async drain(deadline: number): Promise<void> {
    while (this.limiter.active > 0 && Date.now() < deadline) await Bun.sleep(50);
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.cleanups]);
  }
}
