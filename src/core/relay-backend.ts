import type { Logger } from "../util/logger.ts";
import type { RelayEvent } from "./relay-event.ts";
import type { RelayRequest } from "./relay-request.ts";

/** What a backend needs to know about the request it serves. */
export interface BackendContext {
  /** Aborts when the client disconnects or the relay shuts down; the backend must stop its work at once. */
  signal: AbortSignal;
  requestId: string;
  log: Logger;
  /** Identifies the client (a hash of its credentials and user id): a process never serves two clients. */
  clientKey: string;
}

/** A model a backend can serve. */
export interface RelayModel {
  /** The name clients send, e.g. "sonnet" or "claude-sonnet-5". */
  id: string;
  /** A human-readable name. */
  displayName: string;
  /** The full model id an alias currently resolves to, if known. */
  resolvesTo?: string;
}

/** A backend's health, for /health. */
export interface BackendHealth {
  ok: boolean;
  /** Why the backend cannot serve requests, when it cannot. */
  reason?: string;
  /** Backend-specific facts (binary path, version, ...). */
  details: Record<string, unknown>;
}

/** How a backend that runs agent processes reports its warm pool, live conversations and start-up times. */
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

/** Something that turns a neutral request into a stream of neutral events. Backends only stream. */
export interface RelayBackend {
  readonly name: string;
  /**
   * Streams the answer. Throws a RelayError for failures; a failure before the first event means
   * nothing was produced. Capacity limits apply inside: a full queue throws a rate_limit error.
   */
  stream(request: RelayRequest, context: BackendContext): AsyncIterable<RelayEvent>;
  health(): BackendHealth;
  listModels(): Promise<RelayModel[]>;
  /** Requests holding and waiting for a slot; live processes: all, waiting for tool results, kept live, warm. */
  load(): { active: number; queued: number; processes: number; held: number; live: number; warm: number };
  /** Refuses new work, lets running work end within the grace period, then ends every process. */
  shutdown(graceMs: number): Promise<void>;
}
