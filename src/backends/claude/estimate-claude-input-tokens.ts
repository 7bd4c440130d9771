import { estimateRelayInputTokens } from "../../core/estimate-relay-input-tokens.ts";
import type { RelayRequest } from "../../core/relay-request.ts";

/** Tokens the CLI adds to every request: a billing line, an identity line and a date reminder. */
const claudeCliPromptOverhead = 140;

/** The CLI has no token counter: the local estimate of the request, plus what the CLI adds to it. */
export function estimateClaudeInputTokens(request: RelayRequest): number {
  return claudeCliPromptOverhead + estimateRelayInputTokens(request);
}
