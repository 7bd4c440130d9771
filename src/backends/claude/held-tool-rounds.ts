/**
 * CLI processes kept waiting after answering with client tool calls, until the client sends the results.
 * Bounded in number and in time: the oldest is ended when too many are held, and each is ended when its
 * client does not come back in time (it then continues by replay, with the same answer).
 */
import type { ClaudeRun } from "./claude-run.ts";

export interface HeldToolRound {
  run: ClaudeRun;
  /** The tool calls the client must answer. */
  callIds: string[];
  /** Fingerprint of the settings and the conversation including the assistant turn with the calls. */
  fingerprint: string;
  heldAt: number;
}

export type HoldEndReason = "expired" | "evicted" | "process-exited" | "shutdown" | "superseded";

export interface HeldToolRoundsOptions {
  maxHeld: number;
  holdTimeoutMs: number;
  /** Called when a hold ends without a continuation; the process must be ended. */
  onEnd(round: HeldToolRound, reason: HoldEndReason): void;
}

export class HeldToolRounds {
  private readonly rounds = new Map<HeldToolRound, Timer>();

  constructor(private readonly options: HeldToolRoundsOptions) {}

  get size(): number {
    return this.rounds.size;
  }

  hold(round: HeldToolRound): void {
    if (this.options.maxHeld <= 0) {
      this.options.onEnd(round, "evicted");
      return;
    }
    while (this.rounds.size >= this.options.maxHeld) {
      const oldest = this.rounds.keys().next().value!;
      this.end(oldest, "evicted");
    }
    const timer = setTimeout(() => this.end(round, "expired"), this.options.holdTimeoutMs);
    this.rounds.set(round, timer);
    void round.run.process.exited.then(() => {
      if (this.rounds.has(round)) this.end(round, "process-exited");
    });
  }

  /** Takes the round waiting for exactly these tool calls, if any. */
  take(callIds: string[]): HeldToolRound | undefined {
    const wanted = new Set(callIds);
    for (const round of this.rounds.keys()) {
      if (round.callIds.length !== wanted.size || !round.callIds.every((id) => wanted.has(id))) continue;
      clearTimeout(this.rounds.get(round));
      this.rounds.delete(round);
      return round;
    }
    return undefined;
  }

  /** Ends the round that waits for any of these calls (its client moved on without it). */
  supersede(callIds: string[]): void {
    for (const round of [...this.rounds.keys()]) {
      if (round.callIds.some((id) => callIds.includes(id))) this.end(round, "superseded");
    }
  }

  endAll(reason: HoldEndReason): void {
    for (const round of [...this.rounds.keys()]) this.end(round, reason);
  }

  private end(round: HeldToolRound, reason: HoldEndReason): void {
    if (!this.rounds.has(round)) return;
    clearTimeout(this.rounds.get(round));
    this.rounds.delete(round);
    this.options.onEnd(round, reason);
  }
}
