/** How the claude backend reports its warm pool, live conversations and start-up times (the metrics implement it). */
export interface ProcessBackendObserver {
  pool: {
    /** A request took a warm process. */
    hit(): void;
    /** A request found no warm process for its settings (or could not use one). */
    miss(reason: "empty" | "history" | "off"): void;
    /** A warm process was started. */
    spawned(): void;
    /** A warm process was ended. */
    evicted(reason: "idle" | "room" | "exited" | "shutdown"): void;
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
  /** A turn started in a process found this way, this long after the request arrived. */
  turnStarted(source: "live" | "warm" | "cold", seconds: number): void;
}
