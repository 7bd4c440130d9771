/**
 * Under a burst of new conversations, a request that finds no ready process may wait briefly for one that is
 * about to be freed (answering a conversation that ends with this answer) instead of starting one: every start
 * costs about 1.3 s of CPU and 300 MB at its peak, and starts running side by side on a small machine slow each
 * other down, so without this a burst starts a process per concurrency slot before any can be recycled.
 *
 * A request waits only when a process of the same client and settings is expected to be free before a start
 * of its own would be ready: a process that began its start-up before this request arrived will be ready
 * before one started now would be (whatever a start-up takes on this machine at this moment), and a ready
 * process frees up after about one turn. Each such process is counted for one waiter per turn it can serve
 * before then. The wait is bounded by the start-up time measured lately (never longer than a start would
 * take); a request whose wait runs out starts a process as before.
 *
 * A freed process goes to the request that has waited longest, in the same tick it is freed: the waiter's
 * `claim` runs inside `freed`, so no request arriving meanwhile (nor the warm pool) can take it first. A
 * process claimed but still being cleared for its waiter counts as busy (`pledge`), so requests arriving
 * meanwhile may wait for it too rather than start one.
 *
 * Waiting is the cheaper choice for one request, but under a steady load above the processes there are, it
 * never ends: every request waits a turn, and the relay never grows to the load (measured at c=4: 2 processes,
 * half the throughput). So the time requests of one identity spent waiting is added up (over the last
 * `waitDebtWindowMs`), and once it exceeds a start-up's time, the next request starts a process (ski rental:
 * stop renting once the rent paid equals the price). `mayGrow` turns this off while a burst is served (requests
 * queue for a slot, or the burst drains): its processes are enough for what is left of it.
 */
import type { ClaudeRun } from "./claude-run.ts";
import type { ProcessIdentity } from "./recycled-processes.ts";

/** A run that is answering a new conversation and will be free for another when the answer is done. */
interface Busy {
  key: string;
  /** When its start-up (cold) or its turn (a ready process) began, ms since the epoch. */
  since: number;
  /** A process started for this request (its start-up is still in the time it needs). */
  cold: boolean;
  /** Claimed by a waiter and being cleared for it: not answering yet. */
  pledged: boolean;
}

interface Waiter {
  key: string;
  /** Tries to take the freed process; true when it did (the waiter is then done). */
  offer(): boolean;
}

export interface ProcessHandoffsOptions {
  /** Waiting for a freed process at all (off: every request without a ready process starts one). */
  enabled: boolean;
  /** Whether waiting time may add up to a new process now (default: always). */
  mayGrow?(): boolean;
}

/** How far back the time spent waiting counts towards a new process. */
const waitDebtWindowMs = 30_000;

/** Until something is measured: a start-up to the end of its first answer, and one turn of a ready process. */
const defaultColdMs = 2000;
const defaultTurnMs = 300;
/** Weight of the newest measurement in the running averages. */
const smoothing = 0.3;

export class ProcessHandoffs {
  private readonly busy = new Map<object, Busy>();
  private readonly waiters: Waiter[] = [];
  private coldMs: number | undefined;
  private turnMs: number | undefined;
  /** Time spent waiting (positive) and start-ups it paid for (negative), by identity key, oldest first. */
  private readonly waited = new Map<string, Array<{ at: number; ms: number }>>();

  constructor(private readonly options: ProcessHandoffsOptions) {}

  /** Requests waiting for a freed process now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Records that `ticket` (a run, or a placeholder until its process exists) answers a new conversation with
   * this identity. Call synchronously after `shouldWait` said no, so the next request counts it.
   */
  begin(ticket: object, identity: ProcessIdentity, cold: boolean): void {
    this.busy.set(ticket, { key: keyOf(identity), since: Date.now(), cold, pledged: false });
  }

  /** A process claimed for a new conversation and being cleared for it counts as busy until `begin` or `forget`. */
  pledge(ticket: object, identity: ProcessIdentity): void {
    this.busy.set(ticket, { key: keyOf(identity), since: Date.now(), cold: false, pledged: true });
  }

  /** Processes claimed for a new conversation and still being cleared for it. */
  get pledged(): number {
    let count = 0;
    for (const entry of this.busy.values()) if (entry.pledged) count++;
    return count;
  }

  /** Moves a placeholder's record to the run that now exists. */
  rebind(ticket: object, run: ClaudeRun): void {
    const entry = this.busy.get(ticket);
    if (!entry) return;
    this.busy.delete(ticket);
    this.busy.set(run, entry);
    void run.process.exited.then(() => this.busy.delete(run));
  }

  /** The ticket's process is free for another conversation: it no longer counts, and its time updates the averages. */
  answered(ticket: object): void {
    const entry = this.busy.get(ticket);
    if (!entry) return;
    this.busy.delete(ticket);
    if (entry.pledged) return;
    const took = Date.now() - entry.since;
    if (entry.cold) this.coldMs = average(this.coldMs, took);
    else this.turnMs = average(this.turnMs, took);
  }

  /** The ticket will not answer (its start failed): it no longer counts. */
  forget(ticket: object): void {
    this.busy.delete(ticket);
  }

  /**
   * A process with this identity was put back (ready, or idle and open to a take-over): offers it to the
   * waiters of the same identity, longest waiting first, before anything else can take it. True when one took it.
   */
  freed(identity: ProcessIdentity): boolean {
    const key = keyOf(identity);
    for (const waiter of this.waiters) {
      if (waiter.key === key && waiter.offer()) return true;
    }
    return false;
  }

  /**
   * How long a request may wait at most, counted from when it began waiting: a start-up as measured lately, or,
   * while start-ups are under way, as long as the oldest has taken so far plus a turn (one begun at the same
   * time would not be ready sooner).
   */
  waitLimitMs(now = Date.now()): number {
    let limit = this.coldMs ?? defaultColdMs;
    for (const entry of this.busy.values()) if (entry.cold) limit = Math.max(limit, now - entry.since + (this.turnMs ?? defaultTurnMs));
    return limit;
  }

  /** Whether a request with this identity, arriving now, should wait for a freed process rather than start one. */
  shouldWait(identity: ProcessIdentity, now = Date.now()): boolean {
    if (!this.options.enabled) return false;
    const key = keyOf(identity);
    const turnMs = this.turnMs ?? defaultTurnMs;
    const coldMs = this.coldMs ?? defaultColdMs;
    const debt = this.waitDebt(key, now);
    if (debt > 0 && debt >= coldMs && (this.options.mayGrow?.() ?? true)) {
      this.waited.get(key)?.push({ at: now, ms: -coldMs });
      return false;
    }
    // When each busy process would be free for the next waiter, relative to a start-up begun now (0: as soon as it).
    const freeAt: number[] = [];
    for (const entry of this.busy.values()) {
      if (entry.key !== key) continue;
      freeAt.push(entry.cold ? entry.since - now : entry.since + turnMs - now - coldMs);
    }
    const ahead = this.waiters.filter((waiter) => waiter.key === key).length;
    // The waiters ahead take the earliest turns; each served one frees its process again a turn later.
    for (let served = 0; served <= ahead; served++) {
      if (freeAt.length === 0) return false;
      freeAt.sort((a, b) => a - b);
      if (served === ahead) return freeAt[0] <= 0;
      freeAt[0] += turnMs;
    }
    return false;
  }

  /** Records how long a request of this identity waited for a freed process (whether it got one or not). */
  noteWaited(identity: ProcessIdentity, ms: number, now = Date.now()): void {
    const key = keyOf(identity);
    const entries = this.waited.get(key) ?? [];
    entries.push({ at: now, ms });
    this.waited.set(key, entries);
  }

  /** Waiting time of this key over the window, less the start-ups it already paid for. */
  private waitDebt(key: string, now: number): number {
    const entries = this.waited.get(key);
    if (!entries) return 0;
    while (entries.length > 0 && now - entries[0].at > waitDebtWindowMs) entries.shift();
    if (entries.length === 0) {
      this.waited.delete(key);
      return 0;
    }
    return entries.reduce((sum, entry) => sum + entry.ms, 0);
  }

  /**
   * Waits until a process with this identity is freed and `claim` (called synchronously inside `freed`) takes
   * it, `limitMs` passes, or the signal aborts. Resolves with what `claim` returned, or undefined.
   */
  wait<T>(identity: ProcessIdentity, limitMs: number, signal: AbortSignal, claim: () => T | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        key: keyOf(identity),
        offer: () => {
          const claimed = claim();
          if (claimed === undefined) return false;
          finish(claimed);
          return true;
        },
      };
      const finish = (claimed: T | undefined) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(claimed);
      };
      const onAbort = () => finish(undefined);
      const timer = setTimeout(() => finish(undefined), Math.max(0, limitMs));
      if (signal.aborted) return finish(undefined);
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

function keyOf(identity: ProcessIdentity): string {
  return `${identity.clientKey}\u0000${identity.spawnKey}\u0000${identity.lateKey}`;
}

function average(previous: number | undefined, next: number): number {
  return previous === undefined ? next : previous + smoothing * (next - previous);
}
