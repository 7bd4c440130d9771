import type { RelayRequest, RelayWarning } from "../../core/relay-request.ts";

/** An OpenAI reasoning effort (chat `reasoning_effort`, Responses `reasoning.effort`) as neutral thinking and effort. */
export function mapOpenAIReasoningEffort(effort: string | undefined, parameter: string, warnings: RelayWarning[]): Pick<RelayRequest, "thinking" | "effort"> {
  switch (effort) {
    case undefined:
      return {};
    case "none":
    case "minimal":
      return { thinking: { type: "disabled" } };
    case "low":
    case "medium":
    case "high":
    case "xhigh":
      return { thinking: { type: "adaptive" }, effort };
    default:
      warnings.push({ parameter, message: `unknown reasoning effort "${effort}" ignored` });
      return {};
  }
}
