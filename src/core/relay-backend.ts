import type { Logger } from "../util/logger.ts";
import type { RelayEvent } from "./relay-event.ts";
import type { RelayRequest } from "./relay-request.ts";

/** What a backend needs to know about the request it serves. */
export interface BackendContext {
  /** Aborts when the client disconnects or the relay shuts down; the backend must stop its work at once. */
  signal: AbortSignal;
  requestId: string;
  log: Logger;
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

/** How a backend reports tool rounds (client tool calls answered in a later request). */
export interface ToolRoundObserver {
  /** A process was kept waiting for the client's tool results. */
  held(): void;
  /** A hold ended without a continuation. */
  holdEnded(reason: string, heldMs: number): void;
  /** A request continued a tool round: through the waiting process, or by replaying the conversation. */
  continued(path: "hold" | "replay", heldMs?: number): void;
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
  /** Requests holding and waiting for a slot, live processes, processes waiting for tool results. */
  load(): { active: number; queued: number; processes: number; held: number };
  /** Refuses new work, lets running work end within the grace period, then ends every process. */
  shutdown(graceMs: number): Promise<void>;
}
