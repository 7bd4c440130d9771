import { RelayError } from "../../core/relay-error.ts";
import { mapAnthropicErrorStatus } from "../anthropic-wire/map-anthropic-error-status.ts";
import type { ClaudeResultMessage } from "./claude-messages.ts";
import { redactCliMessage } from "./redact-cli-message.ts";

const loginHint =
  "Log in to Claude Code on this machine (run `claude` and use /login, or `claude setup-token`), " +
  "or give the relay an ANTHROPIC_API_KEY, then retry. This is the relay's own backend login, not the API key your client sent.";

/**
 * The upstream's own words for a prompt too long ("prompt is too long: 250000 tokens > 200000 maximum"), which
 * Claude Code 2.1.x rewrites into advice about compacting its own conversation ("Prompt is too long · the
 * request is ~250000 tokens (limit 200000) but this conversation is only ~3 tokens — the rest is system
 * prompt, ..."): the client gets the API's sentence, the log keeps the CLI's.
 */
function promptTooLongMessage(cliMessage: string): string {
  const counts = /~?(\d+) tokens \(limit (\d+)\)/.exec(cliMessage) ?? /(\d+) tokens > (\d+) maximum/.exec(cliMessage);
  return counts ? `prompt is too long: ${counts[1]} tokens > ${counts[2]} maximum` : "prompt is too long for the model's context window";
}

/** Turns a failed `result` (is_error) into an error with the right status for the caller. */
export function mapClaudeResultError(result: ClaudeResultMessage, syntheticError?: string): RelayError {
  const status = result.api_error_status ?? null;
  const rawMessage = (result.result || result.errors?.join("; ") || "unknown error").slice(0, 2000);
  // The client's message hides the operator's upstream addresses; the log (detail) keeps the CLI's own words.
  const cliMessage = redactCliMessage(rawMessage);
  const detail = JSON.stringify({ subtype: result.subtype, status, terminal_reason: result.terminal_reason, result: rawMessage, errors: result.errors });

  if (result.subtype === "error_max_structured_output_retries") {
    return new RelayError("api_error", "The model did not produce output matching the requested JSON schema (the CLI tried 5 times).", {
      status: 502,
      code: "structured_output_failed",
      retryable: true,
      detail,
    });
  }
  const credentialsRejected = `Claude Code could not authenticate with its upstream: ${cliMessage}. ${loginHint}`;
  const loginFailure = status === null && (syntheticError === "authentication_failed" || /not logged in|\/login|oauth token/i.test(cliMessage));
  if (loginFailure) return mapAnthropicErrorStatus({ status: 401, message: cliMessage, detail, credentialsRejected });
  // The CLI reports some overloads only in its text or as a synthetic error, without a status.
  const overloaded = (status === null || status >= 500) && (syntheticError === "overloaded" || /overloaded/i.test(cliMessage));
  if (overloaded) return mapAnthropicErrorStatus({ status: 529, message: cliMessage, detail, credentialsRejected });
  if ((status === 400 || status === 422) && result.terminal_reason === "prompt_too_long") {
    return new RelayError("invalid_request", promptTooLongMessage(cliMessage), { status: 400, code: "context_length_exceeded", retryable: false, detail });
  }
  if (status !== null && status >= 400) return mapAnthropicErrorStatus({ status, message: cliMessage, detail, credentialsRejected });
  if (status === null && /timed out/i.test(cliMessage)) {
    return new RelayError("timeout", `The upstream did not answer in time: ${cliMessage}`, { retryable: true, detail });
  }
  return new RelayError("api_error", `Claude Code failed: ${cliMessage}`, { status: 502, detail });
}
