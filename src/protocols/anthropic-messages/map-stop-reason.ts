import type { RelayFinishReason } from "../../core/relay-event.ts";

/** Neutral finish reason -> Anthropic stop_reason. */
export function mapAnthropicStopReasonOut(reason: RelayFinishReason): string {
  switch (reason.unified) {
    case "stop":
      return "end_turn";
    case "stop-sequence":
      return "stop_sequence";
    case "length":
      return reason.raw === "model_context_window_exceeded" ? reason.raw : "max_tokens";
    case "tool-calls":
      return "tool_use";
    case "content-filter":
      return "refusal";
    case "pause":
      return "pause_turn";
    case "error":
    case "other":
      return "end_turn";
    default: {
      const unreachable: never = reason.unified;
      return unreachable;
    }
  }
}
