import type { RelayFinishReason } from "../../core/relay-event.ts";

/** The stop reasons of the Anthropic API. */
export type AnthropicStopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal" | "model_context_window_exceeded";

/** Neutral finish reason -> Anthropic stop_reason. */
export function mapAnthropicStopReasonOut(reason: RelayFinishReason): AnthropicStopReason {
  switch (reason.unified) {
    case "stop":
      return "end_turn";
    case "stop-sequence":
      return "stop_sequence";
    case "length":
      return reason.raw === "model_context_window_exceeded" ? "model_context_window_exceeded" : "max_tokens";
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
