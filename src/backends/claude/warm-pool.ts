/**
 * CLI processes started ahead of time, so a new conversation does not wait for the CLI to boot (0.5 s to
 * several seconds). A process is started with everything that must be fixed at spawn time (model, tools,
 * working directory, environment-level parameters) and configured late, with `initialize`, when a request
 * takes it. Each process serves one conversation only: it is taken out of the pool for good.
 *
 * Sizing: at most `size` warm processes in all, spread over the spawn settings used most recently; a
 * process unused for `idleTimeoutMs` is ended; after each use the pool refills in the background, while the
 * global process cap allows.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../../util/logger.ts";
import type { ClaudeProcess } from "./claude-process.ts";

/** Everything a CLI process is started with. */
export interface SpawnSpec {
  binary: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

/** idle: unused too long; room, memory: given up for a new process; settings: replaced by settings in use. */
export type WarmEvictionReason = "idle" | "room" | "memory" | "settings" | "exited" | "shutdown";

/** How the pool reports what it does. */
export interface WarmPoolObserver {
  hit(): void;
  miss(reason: "empty" | "history" | "off"): void;
  spawned(): void;
  evicted(reason: WarmEvictionReason): void;
}

export interface WarmPoolOptions {
  /** Warm processes kept at most, over all spawn settings; 0 turns the pool off. */
  size: number;
  /** A warm process unused this long is ended. */
  idleTimeoutMs: number;
  /** Starts a process (registered with the backend for shutdown). */
  spawn(spec: SpawnSpec): ClaudeProcess;
  /** Whether another process may start now without exceeding the global cap. */
  hasRoom(): boolean;
  /** Called after the settings in use changed (to save them for the next start). */
  onSettingsUsed?(): void;
  observer?: WarmPoolObserver;
  log: Logger;
}

interface WarmProcess {
  process: ClaudeProcess;
  key: string;
  timer: Timer;
  /** When it was started. */
  since: number;
}

/** A stable key for spawn settings. */
export function spawnKey(spec: SpawnSpec): string {
  const env = Object.entries(spec.env)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash("sha256").update(JSON.stringify([spec.binary, spec.args, spec.cwd, env])).digest("hex");
}

/** How soon a refill held back by the process cap or a burst is tried again. */
const refillRetryMs = 1000;

export class WarmPool {
  private readonly warm: WarmProcess[] = [];
  /** Spawn settings by key, most recently used last. */
  private readonly recent = new Map<string, { spec: SpawnSpec; usedAt: number }>();
  private refillScheduled = false;
  /** A refill the process cap or a burst held back, tried again shortly (holds lift with time, not an event). */
  private retryTimer: Timer | undefined;
  private closed = false;

  constructor(private readonly options: WarmPoolOptions) {}

  /** Warm processes ready to be taken. */
  get size(): number {
    return this.warm.length;
  }

  /**
   * A warm process started with exactly these settings, or undefined. Records the use; the caller refills the
   * pool (`refillSoon`) once its request has its first token, so the replacement's start-up does not compete
   * with the request for the CPU (measured: about 10% of a pooled request's time to first token on 2 cores).
   */
  take(spec: SpawnSpec): ClaudeProcess | undefined {
    if (this.options.size <= 0) {
      this.options.observer?.miss("off");
      return undefined;
    }
    const key = spawnKey(spec);
    this.recent.delete(key);
    this.recent.set(key, { spec, usedAt: Date.now() });
    this.options.onSettingsUsed?.();
    const index = this.warm.findIndex((entry) => entry.key === key && entry.process.running);
    if (index < 0) {
      this.options.observer?.miss("empty");
      return undefined;
    }
    const [entry] = this.warm.splice(index, 1);
    clearTimeout(entry.timer);
    this.options.observer?.hit();
    return entry.process;
  }

  /** Settings to keep processes ready for before any request (those used before a restart), most recent last. */
  prime(specs: SpawnSpec[]): void {
    if (this.options.size <= 0 || specs.length === 0) return;
    for (const spec of specs) this.recent.set(spawnKey(spec), { spec, usedAt: Date.now() });
    this.scheduleRefill();
  }

  /** The spawn settings used most recently, most recent last, at most as many as the pool holds. */
  recentSpecs(): SpawnSpec[] {
    return [...this.recent.values()].slice(-Math.max(this.options.size, 1)).map((use) => use.spec);
  }

  /** Records that settings were used by a request the pool could not serve (one with history). */
  noteUse(spec: SpawnSpec): void {
    if (this.options.size <= 0) return;
    const key = spawnKey(spec);
    this.recent.delete(key);
    this.recent.set(key, { spec, usedAt: Date.now() });
    this.options.onSettingsUsed?.();
    this.options.observer?.miss("history");
  }

  /**
   * Starts replacements for recently used settings in the background. `usedKey` (the spawn key of the request
   * that took a process) counts as used now: a request slower than the idle timeout must not make its own
   * settings look unused.
   */
  refillSoon(usedKey?: string): void {
    if (this.options.size <= 0) return;
    const use = usedKey === undefined ? undefined : this.recent.get(usedKey);
    if (use) use.usedAt = Date.now();
    this.scheduleRefill();
  }

  /** Ends the warm process unused longest, to make room; returns it (it exits shortly), or undefined. */
  evictOne(reason: "room" | "memory" = "room"): ClaudeProcess | undefined {
    const entry = this.warm.shift();
    if (!entry) return undefined;
    this.end(entry, reason);
    return entry.process;
  }

  /** When the warm process unused longest was started, or undefined when there is none. */
  oldestSince(): number | undefined {
    return this.warm[0]?.since;
  }

  /** Ends every warm process and starts no more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const entry of this.warm.splice(0)) this.end(entry, "shutdown");
  }

  private scheduleRefill(): void {
    if (this.refillScheduled || this.closed) return;
    this.refillScheduled = true;
    // After the response path: spawning costs a few milliseconds of the event loop.
    setTimeout(() => {
      this.refillScheduled = false;
      this.refill();
    }, 0);
  }

  /** One warm process per recently used setting, most recent first, `size` in all. */
  private refill(): void {
    if (this.closed) return;
    const now = Date.now();
    const keys = [...this.recent.entries()]
      .filter(([, use]) => now - use.usedAt < this.options.idleTimeoutMs)
      .reverse();
    if (keys.length === 0) return;
    const wanted = new Map<string, number>();
    for (let index = 0; index < this.options.size; index++) {
      const [key] = keys[index % keys.length];
      wanted.set(key, (wanted.get(key) ?? 0) + 1);
    }
    for (const [key, count] of wanted) {
      let have = this.warm.filter((entry) => entry.key === key).length;
      // A full pool follows the settings in use: a process for settings asked for less gives way.
      while (have < count && this.warm.length >= this.options.size) {
        const surplus = this.warm.find((entry) => this.warm.filter((other) => other.key === entry.key).length > (wanted.get(entry.key) ?? 0));
        if (!surplus) break;
        this.end(surplus, "settings");
      }
      while (have < count && this.warm.length < this.options.size) {
        if (!this.options.hasRoom()) {
          this.retrySoon();
          return;
        }
        this.spawn(key, this.recent.get(key)!.spec);
        have++;
      }
    }
  }

  /**
   * Tries a held-back refill again in a second, for as long as the settings count as recent: what held it (the
   * process cap, a burst being served by recycled processes) may end without any request to trigger a refill.
   */
  private retrySoon(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.refill();
    }, refillRetryMs);
    this.retryTimer.unref?.();
  }

  private spawn(key: string, spec: SpawnSpec): void {
    let process: ClaudeProcess;
    try {
      process = this.options.spawn(spec);
    } catch (error) {
      this.options.log.warn("could not start a warm CLI process", { error: String(error) });
      return;
    }
    const entry: WarmProcess = { process, key, since: Date.now(), timer: setTimeout(() => this.end(entry, "idle"), this.options.idleTimeoutMs) };
    this.warm.push(entry);
    this.options.observer?.spawned();
    void process.exited.then(() => {
      // A warm process that dies while idle leaves the pool (and is replaced on the next use).
      const index = this.warm.indexOf(entry);
      if (index < 0) return;
      this.warm.splice(index, 1);
      clearTimeout(entry.timer);
      this.options.observer?.evicted("exited");
      this.options.log.warn("a warm CLI process exited while idle", { pid: process.pid, stderr: process.stderrTail.slice(-300) });
    });
  }

  private end(entry: WarmProcess, reason: Exclude<WarmEvictionReason, "exited">): void {
    const index = this.warm.indexOf(entry);
    if (index >= 0) this.warm.splice(index, 1);
    clearTimeout(entry.timer);
    this.options.observer?.evicted(reason);
    // Nothing was sent to it: closing stdin ends it at once.
    void entry.process.finish(1000);
  }
}
