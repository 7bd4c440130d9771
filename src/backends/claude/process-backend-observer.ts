/** How the claude backend reports its warm pool, live conversations, recycling and start-up times (the metrics implement it). */
import type { RetireReason } from "./claude-recycler.ts";
import type { WarmEvictionReason } from "./warm-pool.ts";

export interface ProcessBackendObserver {
  pool: {
    /** A request took a warm process. */
    hit(): void;
    /** A request found no warm process for its settings (or could not use one). */
    miss(reason: "empty" | "history" | "off"): void;
    /** A warm process was started. */
    spawned(): void;
    /** A warm process was ended. */
    evicted(reason: WarmEvictionReason): void;
  };
  conversations: {
    /** A process was kept waiting for the client's tool results. */
    held(): void;
    /**
     * A request continued a conversation: through the process waiting for its tool results (hold), the idle
     * process of its previous turn (live), or by replaying it into a new process (replay).
     */
    continued(path: "hold" | "live" | "replay", keptMs?: number): void;
    /** A kept process was ended without a continuation. */
    ended(kind: "tools" | "idle", reason: string, keptMs: number): void;
  };
  recycle: {
    /** A process was cleared for another conversation, in this many seconds. */
    cleared(seconds: number): void;
    /** A cleared process started a new conversation; `conversations` counts those it has served, this one included. */
    reused(conversations: number): void;
    /** A process was ended instead of recycled. */
    retired(reason: Exclude<RetireReason, "off">): void;
    /** A replayed conversation was one whose idle process a new conversation had taken over. */
    regretted(): void;
    /** A ready (cleared) process was ended unused. */
    evicted(reason: string): void;
  };
  /** A turn started in a process found this way, this long after the request arrived. */
  turnStarted(source: "live" | "recycled" | "warm" | "cold", seconds: number): void;
}
