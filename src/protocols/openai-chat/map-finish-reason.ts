import type { RelayFinishReason } from "../../core/relay-event.ts";

export type OpenAIFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Neutral finish reason -> OpenAI finish_reason. */
export function mapOpenAIFinishReason(reason: RelayFinishReason): OpenAIFinishReason {
  switch (reason.unified) {
    case "stop":
    case "stop-sequence":
    case "pause":
    case "error":
    case "other":
      return "stop";
    case "length":
      return "length";
    case "tool-calls":
      return "tool_calls";
    case "content-filter":
      return "content_filter";
    default: {
      const unreachable: never = reason.unified;
      return unreachable;
    }
  }
}
