/**
 * After an answer: the process is handed to `LiveConversations` for its conversation's next request (waiting
 * for tool results, or idle between turns), or ended. A kept conversation that ends without a continuation
 * comes back here (`endLiveConversation`) to be ended.
 */
import { conversationFingerprint } from "../../core/conversation-fingerprint.ts";
import { addRelayUsage, emptyUsage } from "../../core/relay-event.ts";
import type { RelayMessage } from "../../core/relay-request.ts";
import type { Logger } from "../../util/logger.ts";
import type { AnswerRecorder } from "./answer-recorder.ts";
import type { ClaudeBackendParts, Turn } from "./claude-turn.ts";
import type { LiveConversation, LiveEndReason } from "./live-conversations.ts";

export interface SettledTurn {
  turn: Turn;
  answer: AnswerRecorder;
  /** Client tool calls the answer ended with (the process waits for their results). */
  callIds: string[];
  /** The relay interrupted the CLI (after max_tokens). */
  interrupted: boolean;
  log: Logger;
}

export function settleClaudeTurn(parts: ClaudeBackendParts, settled: SettledTurn): void {
  const { turn, answer, callIds, interrupted, log } = settled;
  const { run, request, invocation } = turn;
  const { options, slots, recycler } = parts;
  recycler.noteTurn(run);
  if (interrupted) {
    // Interrupted after max_tokens: the CLI's own transcript now differs from what the client received.
    slots.endRun(run, false, log);
    return;
  }
  const waiting = callIds.length > 0;
  run.reportedUsage = waiting ? addRelayUsage(run.reportedUsage ?? emptyUsage, answer.usage) : undefined;
  // Structured output's tool call is in the CLI's transcript but not in the client's: the next turn would differ.
  const keepIdle = !waiting && options.conversationIdleTimeoutMs > 0 && !invocation.structuredOutput;
  if (!waiting && !keepIdle) {
    recycler.recycle(run, log);
    return;
  }
  const fingerprint = conversationFingerprint(turn.conversationKey, [...request.messages, { role: "assistant", content: answer.content() } satisfies RelayMessage]);
  slots.releaseSlot(run);
  if (!parts.live.keep({ run, fingerprint, callIds, since: Date.now() })) {
    if (waiting) slots.endRun(run, false, log);
    else recycler.recycle(run, log);
    return;
  }
  if (waiting) {
    recycler.noteHeld(run);
    options.observer?.conversations.held();
    log.info("holding the CLI for the client's tool results", { pid: run.process.pid, tool_call_ids: callIds, hold_timeout_ms: options.toolHoldTimeoutMs });
  } else {
    recycler.noteIdle(run);
    log.debug("keeping the CLI for the conversation's next turn", { pid: run.process.pid, idle_timeout_ms: options.conversationIdleTimeoutMs });
  }
}

/**
 * A kept conversation ended without a continuation. Its process is recycled when it was idle and only the
 * conversation is over (expired, evicted, superseded); it ends when it was waiting for tool results, or when
 * the process itself must go (room, memory, shutdown, exited).
 */
export function endLiveConversation(parts: ClaudeBackendParts, conversation: LiveConversation, reason: LiveEndReason): void {
  const { options } = parts;
  const heldMs = Date.now() - conversation.since;
  const waiting = conversation.callIds.length > 0;
  options.observer?.conversations.ended(waiting ? "tools" : "idle", reason, heldMs);
  const message = waiting ? "tool round hold ended" : "live conversation ended";
  if (reason !== "superseded" || waiting) options.log.info(message, { pid: conversation.run.process.pid, reason, held_ms: heldMs, tool_call_ids: conversation.callIds });
  // A CLI waiting for tool results is interrupted: closing its stdin would make it call the upstream once more.
  if (waiting) parts.slots.endRun(conversation.run, false, options.log);
  else if (reason === "expired" || reason === "evicted" || reason === "superseded") parts.recycler.recycle(conversation.run, options.log);
  else parts.slots.endRun(conversation.run, true, options.log);
}
