/**
 * CLI processes whose conversation is over and that were cleared (`/clear`) for another one. Each keeps the
 * configuration it was started and initialized with, so it only serves a request with the same spawn settings,
 * the same late configuration (system prompt, client tools, output schema) and the same client. The pool owns
 * its processes until `take` hands one to a request or `evictOldest`/expiry/`close` ends it.
 *
 * Spare processes: after a burst, more processes are ready than the demand that follows needs (each about
 * 117 MB PSS idle). Ready processes beyond `wanted()` (the recent peak of demand, less the warm pool) unused for the
 * spare-idle timeout are ended, least recently used first.
 */
import type { ClaudeRun } from "./claude-run.ts";

/** What a process is bound to for as long as it lives. */
export interface ProcessIdentity {
  /** The client (a hash of its credentials): a process never serves two clients. */
  clientKey: string;
  /** Hash of everything the process was spawned with (argv, environment, working directory). */
  spawnKey: string;
  /** Hash of what `initialize` fixed for the process's life: system prompt, client tools, output schema. */
  lateKey: string;
}

/** A process's life so far, for its budget. */
export interface ProcessLife {
  identity: ProcessIdentity;
  /** When it was spawned (ms since the epoch). */
  bornAt: number;
  /** Conversations it has served, the current one included. */
  conversations: number;
  /** Turns it has answered over all its conversations. */
  turns: number;
}

export interface RecycledProcess {
  run: ClaudeRun;
  life: ProcessLife;
  /** When it was put back (for LRU and the idle timeout). */
  since: number;
}

/** idle: unused for the idle timeout; spare: unused for the spare-idle timeout and beyond the recent demand. */
export type RecycledEndReason = "idle" | "spare" | "room" | "memory" | "exited" | "shutdown";

export interface RecycledProcessesOptions {
  /** A ready process unused this long is ended. */
  idleTimeoutMs: number;
  /** A ready process beyond `wanted()` unused this long is ended (0: never for that reason). */
  spareIdleTimeoutMs?: number;
  /** How many ready processes are worth keeping now (the recent demand). */
  wanted?(): number;
  /** Ends a process the pool gives up. */
  onEnd(entry: RecycledProcess, reason: RecycledEndReason): void;
}

export class RecycledProcesses {
  private readonly ready = new Map<RecycledProcess, Timer>();
  private spareCheck: Timer | undefined;

  constructor(private readonly options: RecycledProcessesOptions) {}

  get size(): number {
    return this.ready.size;
  }

  put(entry: RecycledProcess): void {
    this.ready.set(entry, setTimeout(() => this.end(entry, "idle"), this.options.idleTimeoutMs));
    void entry.run.process.exited.then(() => this.end(entry, "exited"));
    this.checkSparesLater();
  }

  /** The most recently put process with exactly this identity (its prompt cache is the warmest), or undefined. */
  take(identity: ProcessIdentity): RecycledProcess | undefined {
    const matches = [...this.ready.keys()].filter((entry) => sameIdentity(entry.life.identity, identity) && entry.run.process.running);
    const entry = matches.at(-1);
    if (!entry) return undefined;
    clearTimeout(this.ready.get(entry));
    this.ready.delete(entry);
    return entry;
  }

  /** When the least recently used process was put back, or undefined when the pool is empty. */
  oldestSince(): number | undefined {
    return this.ready.keys().next().value?.since;
  }

  /** Ends the least recently used process; returns it, or undefined. */
  evictOldest(reason: "room" | "memory"): RecycledProcess | undefined {
    const entry = this.ready.keys().next().value;
    if (!entry) return undefined;
    this.end(entry, reason);
    return entry;
  }

  close(): void {
    clearTimeout(this.spareCheck);
    this.spareCheck = undefined;
    for (const entry of [...this.ready.keys()]) this.end(entry, "shutdown");
  }

  /** Ends the ready processes beyond `wanted()` that were unused for the spare-idle timeout, least recently used first. */
  giveUpSpares(now = Date.now()): void {
    const timeoutMs = this.options.spareIdleTimeoutMs ?? 0;
    if (timeoutMs <= 0 || !this.options.wanted) return;
    const keep = this.options.wanted();
    // Insertion order is the order they were put back: least recently used first.
    for (const entry of [...this.ready.keys()]) {
      if (this.ready.size <= keep || now - entry.since < timeoutMs) break;
      this.end(entry, "spare");
    }
    this.checkSparesLater(now);
  }

  /** Looks again when the oldest ready process reaches the spare-idle timeout (or the recent demand may have fallen). */
  private checkSparesLater(now = Date.now()): void {
    const timeoutMs = this.options.spareIdleTimeoutMs ?? 0;
    const oldest = this.oldestSince();
    if (timeoutMs <= 0 || this.spareCheck || oldest === undefined) return;
    const delayMs = Math.max(oldest + timeoutMs - now, timeoutMs / 4, 10);
    this.spareCheck = setTimeout(() => {
      this.spareCheck = undefined;
      this.giveUpSpares();
    }, delayMs);
    this.spareCheck.unref?.();
  }

  private end(entry: RecycledProcess, reason: RecycledEndReason): void {
    if (!this.ready.has(entry)) return;
    clearTimeout(this.ready.get(entry));
    this.ready.delete(entry);
    this.options.onEnd(entry, reason);
  }
}

export function sameIdentity(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.clientKey === b.clientKey && a.spawnKey === b.spawnKey && a.lateKey === b.lateKey;
}
