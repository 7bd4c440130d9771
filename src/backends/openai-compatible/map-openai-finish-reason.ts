import type { RelayFinishReason } from "../../core/relay-event.ts";

/** Maps a Chat Completions finish_reason to a neutral one; unknown values are "other" with the raw value kept. */
export function mapOpenAIFinishReason(raw: string | null | undefined): RelayFinishReason {
  switch (raw) {
    case "stop":
      return { unified: "stop", raw };
    case "length":
      return { unified: "length", raw };
    case "tool_calls":
    case "function_call":
      return { unified: "tool-calls", raw };
    case "content_filter":
      return { unified: "content-filter", raw };
    default:
      return { unified: "other", raw: raw ?? null };
  }
}
