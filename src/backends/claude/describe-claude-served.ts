/**
 * How the claude backend served a turn, in the words the inspector and telemetry show:
 * - "hold": the tool results went to the process that waited for them (no start-up, no replay);
 * - "live": the next turn went to the idle process of the conversation's previous turn;
 * - "recycled": a new conversation in a process cleared after serving another one of the same client;
 * - "warm": a new conversation in a process started ahead of time;
 * - "replay": a process started now, with the earlier turns replayed from a session file (--resume);
 * - "cold": a new conversation in a process started now.
 */
import type { RelayServed } from "../../core/relay-event.ts";
import type { Turn } from "./claude-turn.ts";

export type ClaudeServedPath = "hold" | "live" | "recycled" | "warm" | "replay" | "cold";

export function claudeServedPath(turn: Pick<Turn, "source" | "sendUserMessage" | "invocation">): ClaudeServedPath {
  switch (turn.source) {
    case "live":
      return turn.sendUserMessage ? "live" : "hold";
    case "recycled":
      return "recycled";
    case "warm":
      return "warm";
    case "cold":
      return turn.invocation.history.length > 0 ? "replay" : "cold";
    default: {
      const unreachable: never = turn.source;
      throw new Error(`unknown turn source ${String(unreachable)}`);
    }
  }
}

/** The served path with the process that answered and, for a replay, how many earlier messages were replayed. */
export function describeClaudeServed(turn: Pick<Turn, "source" | "sendUserMessage" | "invocation" | "run">): RelayServed {
  const path = claudeServedPath(turn);
  const details: Record<string, number> = { pid: turn.run.process.pid };
  if (path === "replay") details.replayedMessages = turn.invocation.conversation.history.length;
  return { path, details };
}
