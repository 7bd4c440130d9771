import type { RelayFinishReason } from "../../core/relay-event.ts";

/** How a finished response ends, in the Responses API's terms. */
export type OpenAIResponsesOutcome =
  | { status: "completed" }
  | { status: "incomplete"; reason: "max_output_tokens" | "content_filter" }
  | { status: "failed"; message: string };

/** Neutral finish reason -> Responses status (and incomplete_details.reason). */
export function mapOpenAIResponsesOutcome(reason: RelayFinishReason): OpenAIResponsesOutcome {
  switch (reason.unified) {
    case "stop":
    case "stop-sequence":
    case "tool-calls":
    // pause_turn only follows server tools, which the relay does not offer; the answer so far is complete.
    case "pause":
    case "other":
      return { status: "completed" };
    case "length":
      return { status: "incomplete", reason: "max_output_tokens" };
    case "content-filter":
      return { status: "incomplete", reason: "content_filter" };
    case "error":
      return { status: "failed", message: `The model stopped with an error (${reason.raw ?? "no reason given"}).` };
    default: {
      const unreachable: never = reason.unified;
      return unreachable;
    }
  }
}
