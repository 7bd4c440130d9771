import type { RelayFinishReason } from "../../core/relay-event.ts";

/** Maps an Anthropic stop_reason (as the claude CLI and the Messages API report it) to a neutral finish reason. */
export function mapAnthropicStopReason(raw: string | null | undefined, stopSequence?: string | null): RelayFinishReason {
  switch (raw) {
    case "end_turn":
      return { unified: "stop", raw };
    case "stop_sequence":
      return { unified: "stop-sequence", raw, stopSequence: stopSequence ?? null };
    case "max_tokens":
    case "model_context_window_exceeded":
      return { unified: "length", raw };
    case "tool_use":
      return { unified: "tool-calls", raw };
    case "refusal":
      return { unified: "content-filter", raw };
    case "pause_turn":
      return { unified: "pause", raw };
    default:
      return { unified: "other", raw: raw ?? null };
  }
}
