/**
 * CLI processes kept alive after an answer, bound to the conversation they served: waiting for the client's
 * tool results (a tool round), or idle between turns. A request that continues exactly that conversation is
 * served by the same process, with only its new turn sent: no start-up, no replay, a warm prompt cache.
 * Bounded in number (the oldest idle conversation goes first) and in time.
 */
import type { ClaudeRun } from "./claude-run.ts";

export interface LiveConversation {
  run: ClaudeRun;
  /** Fingerprint of the client, the settings and every turn the process has seen, its own answers included. */
  fingerprint: string;
  /** Tool calls the process waits for; empty when it is idle between turns. */
  callIds: string[];
  since: number;
}

/** evicted: over --max-live-conversations; room, memory: given up for a new process; recycled: a new conversation took its process. */
export type LiveEndReason = "expired" | "evicted" | "room" | "memory" | "recycled" | "process-exited" | "shutdown" | "superseded";

export interface LiveConversationsOptions {
  /** Conversations kept at most (waiting for tools or idle). */
  maxLive: number;
  /** How long a process waits for tool results. */
  toolHoldTimeoutMs: number;
  /** How long an idle process waits for the next turn. */
  idleTimeoutMs: number;
  /** Called when a conversation ends without a continuation; its process must be ended. */
  onEnd(conversation: LiveConversation, reason: LiveEndReason): void;
}

export class LiveConversations {
  private readonly live = new Map<LiveConversation, Timer>();

  constructor(private readonly options: LiveConversationsOptions) {}

  get size(): number {
    return this.live.size;
  }

  /** Conversations waiting for tool results. */
  get waitingForTools(): number {
    let count = 0;
    for (const conversation of this.live.keys()) if (conversation.callIds.length > 0) count++;
    return count;
  }

  /** Keeps a conversation; false when none may be kept (the caller ends the process). */
  keep(conversation: LiveConversation): boolean {
    if (this.options.maxLive <= 0) return false;
    while (this.live.size >= this.options.maxLive) this.evictOldest();
    const timeout = conversation.callIds.length > 0 ? this.options.toolHoldTimeoutMs : this.options.idleTimeoutMs;
    this.live.set(conversation, setTimeout(() => this.end(conversation, "expired"), timeout));
    void conversation.run.process.exited.then(() => this.end(conversation, "process-exited"));
    return true;
  }

  /** Takes the conversation with this fingerprint, if one is kept. */
  take(fingerprint: string): LiveConversation | undefined {
    for (const conversation of this.live.keys()) {
      if (conversation.fingerprint !== fingerprint) continue;
      clearTimeout(this.live.get(conversation));
      this.live.delete(conversation);
      return conversation;
    }
    return undefined;
  }

  /** Ends the conversations waiting for any of these tool calls (their client went on without them). */
  supersede(callIds: string[]): void {
    for (const conversation of [...this.live.keys()]) {
      if (conversation.callIds.some((id) => callIds.includes(id))) this.end(conversation, "superseded");
    }
  }

  /** Ends the oldest conversation, idle ones before those waiting for tool results; returns it, or undefined. */
  evictOldest(reason: "evicted" | "room" | "memory" = "evicted"): LiveConversation | undefined {
    const all = [...this.live.keys()];
    const victim = all.find((conversation) => conversation.callIds.length === 0) ?? all[0];
    if (!victim) return undefined;
    this.end(victim, reason);
    return victim;
  }

  /** When the least recently used conversation was kept (idle ones first), or undefined when none is kept. */
  oldestSince(): number | undefined {
    const all = [...this.live.keys()];
    return (all.find((conversation) => conversation.callIds.length === 0) ?? all[0])?.since;
  }

  /**
   * Takes the least recently used idle conversation that `accepts`, without ending it: the caller gets its
   * process (a new conversation takes it over) and reports the conversation as ended.
   */
  takeOldestIdle(accepts: (conversation: LiveConversation) => boolean): LiveConversation | undefined {
    for (const conversation of this.live.keys()) {
      if (conversation.callIds.length > 0 || !accepts(conversation)) continue;
      clearTimeout(this.live.get(conversation));
      this.live.delete(conversation);
      return conversation;
    }
    return undefined;
  }

  endAll(reason: LiveEndReason): void {
    for (const conversation of [...this.live.keys()]) this.end(conversation, reason);
  }

  private end(conversation: LiveConversation, reason: LiveEndReason): void {
    if (!this.live.has(conversation)) return;
    clearTimeout(this.live.get(conversation));
    this.live.delete(conversation);
    this.options.onEnd(conversation, reason);
  }
}
