/**
 * What the parts of the claude backend share: the turn being answered and the backend's collaborators.
 *
 * Who owns a CLI process, one at a time (STYLE.md "One owner per process"):
 * - the warm pool, from spawn until a request takes it (`WarmPool.take` hands it over);
 * - the request's turn (a `Turn` in `streamClaudeTurn`), until the answer is settled; if the turn ends any
 *   other way (error, disconnect) its `finally` ends the process through `ClaudeRunSlots.endRun`;
 * - `LiveConversations`, when settling keeps it for the conversation's next request (`LiveConversations.take`
 *   hands it back to a turn; expiry or eviction hands it to `endLiveConversation`; `takeOldestIdle` hands it
 *   to a new conversation of the same client, through the recycler's clear);
 * - `ClaudeRecycler`, when its conversation is over: it clears the process and hands it to
 *   `RecycledProcesses` (which hands it to a new conversation with `take`), or ends it;
 * - `ClaudeRunSlots.endRun`, the only place that ends a request's process (warm processes never served
 *   a request and are ended by their pool).
 */
import type { RelayRequest } from "../../core/relay-request.ts";
import type { Logger } from "../../util/logger.ts";
import type { ClaudeInvocation, ClaudeInvocationSettings } from "./build-claude-invocation.ts";
import type { ClaudeProcessRegistry } from "./claude-process.ts";
import type { ProcessHandoffs } from "./process-handoffs.ts";
import type { ClaudeRecycler } from "./claude-recycler.ts";
import type { ClaudeRun } from "./claude-run.ts";
import type { ClaudeRunSlots } from "./claude-run-slots.ts";
import type { LiveConversations } from "./live-conversations.ts";
import type { ProcessBackendObserver } from "./process-backend-observer.ts";
import type { MemoryGovernor } from "./memory-governor.ts";
import type { ProcessIdentity, RecycledProcesses } from "./recycled-processes.ts";
import type { StealPolicy } from "./steal-policy.ts";
import type { WarmPool } from "./warm-pool.ts";

export interface ClaudeBackendOptions extends ClaudeInvocationSettings {
  claudeBin: string;
  workdir: string;
  idleTimeoutMs: number;
  killGraceMs: number;
  maxConcurrent: number;
  maxQueue: number;
  /** CLI processes at most, of every kind (running, warm, live); idle ones are ended to stay below. */
  maxProcesses: number;
  /** Warm processes kept ready (0: off). */
  warmProcesses: number;
  /** A warm process unused this long is ended. */
  warmIdleTimeoutMs: number;
  /** Conversations kept live at most (waiting for tool results or idle between turns; 0: off). */
  maxLiveConversations: number;
  /** How long a process waits for the client's tool results. */
  toolHoldTimeoutMs: number;
  /** How long a process waits for the next turn of its conversation (0: not at all). */
  conversationIdleTimeoutMs: number;
  /** Cleared processes serve new conversations of the same client and settings (--no-recycle: off). */
  recycle: boolean;
  /** Conversations a process serves at most before it is ended (0: no limit). */
  recycleMaxConversations: number;
  /** Age at which a process is ended instead of recycled, in ms (0: no limit). */
  recycleMaxAgeMs: number;
  /** Resident memory above which a process is ended instead of recycled, in bytes (0: no limit). */
  recycleMaxResidentBytes: number;
  /** A ready process beyond the recent demand unused this long is ended, in ms (0: off). */
  spareIdleTimeoutMs: number;
  /** Where the spawn settings used most recently are kept, so the warm pool can start with them (undefined: not kept). */
  warmSettingsFile?: string;
  /** Memory budget of all CLI processes together, in bytes; undefined: a quarter of the machine's memory. */
  maxMemoryBytes?: number;
  /** The environment the CLI inherits (the relay's own, normally). */
  env: Record<string, string | undefined>;
  /** The longest output line accepted from a CLI (--max-line-size); 64 MB by default. */
  maxLineBytes?: number;
  log: Logger;
  observer?: ProcessBackendObserver;
}

/** The backend's collaborators, as the functions that choose, stream and settle turns use them. */
export interface ClaudeBackendParts {
  options: ClaudeBackendOptions;
  processes: ClaudeProcessRegistry;
  slots: ClaudeRunSlots;
  pool: WarmPool;
  live: LiveConversations;
  recycled: RecycledProcesses;
  recycler: ClaudeRecycler;
  /** Lets a new conversation wait briefly for a process about to be freed instead of starting one. */
  handoffs: ProcessHandoffs;
  steal: StealPolicy;
  memory: MemoryGovernor;
  /** The CLI's version, written into session files. */
  cliVersion(): string | undefined;
}

/** One answer to produce from a run. */
export interface Turn {
  run: ClaudeRun;
  request: RelayRequest;
  invocation: ClaudeInvocation;
  /** Identifies the client and the settings; part of every conversation fingerprint. */
  conversationKey: string;
  /** What a process serving this turn is bound to (client, spawn settings, late configuration). */
  identity: ProcessIdentity;
  /** When the request arrived, for the start-up metric. */
  startedAt: number;
  /** How the process was found. */
  source: "live" | "recycled" | "warm" | "cold";
  /** Whether the turn goes to the process as a user message (not when tool results answer waiting calls). */
  sendUserMessage: boolean;
}
