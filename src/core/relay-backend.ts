/**
 * The contract every backend implements (the claude CLI, HTTP upstreams) and the router implements over
 * several of them. Nothing here is specific to one kind of backend: process counts, pools and the like are
 * a backend's own `details`.
 */
import type { Logger } from "../util/logger.ts";
import type { RelayBackendEvent } from "./relay-event.ts";
import type { PassthroughContext, PassthroughProtocol, PassthroughRequest, PassthroughResponse } from "./relay-passthrough.ts";
import type { RelayRequest } from "./relay-request.ts";

/** What a backend needs to know about the request it serves. */
export interface BackendContext {
  /** Aborts when the client disconnects or the relay shuts down; the backend must stop its work at once. */
  signal: AbortSignal;
  requestId: string;
  log: Logger;
  /** Identifies the client (a hash of its credentials and user id): a backend never mixes two clients' state. */
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
  /** The provider that serves it (set by the router), e.g. "claude" or "openrouter". */
  ownedBy?: string;
  /** The most tokens the model generates in one answer, where the provider reports it. */
  maxOutputTokens?: number;
  /** The model's context window in tokens, where the provider reports it. */
  contextWindow?: number;
}

/** A backend's health, for /health. */
export interface BackendHealth {
  ok: boolean;
  /** Why the backend cannot serve requests, when it cannot. */
  reason?: string;
  /** Backend-specific facts (binary path, version, base URL, per-provider health for the router, ...). */
  details: Record<string, unknown>;
}

/** How busy a backend is. */
export interface BackendLoad {
  /** Requests being served now. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Backend-specific counts (the claude backend: processes, warm, live, held). */
  details?: Record<string, number>;
}

/** The input token count of a request, as the backend's model would see it. */
export interface RelayTokenCount {
  inputTokens: number;
  /** True when counted locally by rules of thumb rather than by the provider's own tokenizer. */
  estimated: boolean;
}

/** Something that turns a neutral request into a stream of neutral events. Backends only stream. */
export interface RelayBackend {
  readonly name: string;
  /**
   * Streams the answer. Throws a RelayError for failures; a failure before the first event means
   * nothing was produced. Capacity limits apply inside: a full queue throws a rate_limit error.
   * Parameters the backend does not honour are listed in `warnings` on its stream-start event. Reports
   * (tools the backend ran itself) may come between the events; the hub passes them to its observers only.
   */
  stream(request: RelayRequest, context: BackendContext): AsyncIterable<RelayBackendEvent>;
  health(): BackendHealth;
  listModels(): Promise<RelayModel[]>;
  /** Counts the request's input tokens (Anthropic count_tokens). */
  countTokens(request: RelayRequest, context: BackendContext): Promise<RelayTokenCount>;
  load(): BackendLoad;
  /**
   * Whether `passthrough` forwards this protocol's requests for this model untranslated (see
   * relay-passthrough.ts); when it does not, the request goes through `stream`. Decides without side effects.
   */
  supportsPassthrough?(protocol: PassthroughProtocol, model: string): boolean;
  /** Forwards a request untranslated; only called when supportsPassthrough said yes. */
  passthrough?(request: PassthroughRequest, context: PassthroughContext): Promise<PassthroughResponse>;
  /** Refuses new work, lets running work end within the grace period, then releases everything it holds. */
  shutdown(graceMs: number): Promise<void>;
  /** Start-up work before serving (finding a binary, reading an upstream's models); problems show in health(), they do not throw. */
  start?(): Promise<void>;
  /** The address the relay listens on, once known: a backend must never send requests back to the relay itself. */
  setRelayAddress?(address: { host: string; port: number }): void;
  /** Ends everything at once, without grace (a second SIGINT). */
  killAll?(): void;
  /** Ids of the processes the backend runs now (agent-CLI backends). */
  processIds?(): number[];
}
