import { RelayError } from "../../core/relay-error.ts";
import type { ClaudeResultMessage } from "./claude-messages.ts";
import { redactCliMessage } from "./redact-cli-message.ts";

const loginHint =
  "Log in to Claude Code on this machine (run `claude` and use /login, or `claude setup-token`), " +
  "or give the relay an ANTHROPIC_API_KEY, then retry. This is the relay's own backend login, not the API key your client sent.";

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
  const loginFailure = status === null && (syntheticError === "authentication_failed" || /not logged in|\/login|oauth token/i.test(cliMessage));
  if (status === 401 || status === 403 || loginFailure) {
    return new RelayError("backend_authentication", `Claude Code could not authenticate with its upstream: ${cliMessage}. ${loginHint}`, {
      code: "backend_authentication_failed",
      retryable: false,
      detail,
    });
  }
  if (status === 429) {
    return new RelayError("rate_limit", `The upstream rate limit was reached: ${cliMessage}`, { code: "rate_limit_exceeded", retryable: true, detail });
  }
  if (status === 529 || syntheticError === "overloaded" || /overloaded/i.test(cliMessage)) {
    return new RelayError("overloaded", `The upstream is overloaded: ${cliMessage}`, { code: "overloaded", retryable: true, detail });
  }
  if (status === 400 || status === 422) {
    const tooLong = result.terminal_reason === "prompt_too_long" || /prompt is too long/i.test(cliMessage);
    return new RelayError("invalid_request", cliMessage, { status: 400, code: tooLong ? "context_length_exceeded" : null, detail });
  }
  if (status === 404) {
    return new RelayError("not_found", cliMessage, { code: "model_not_found", detail });
  }
  if (status === 413) {
    return new RelayError("request_too_large", cliMessage, { detail });
  }
  if (status !== null && status >= 500) {
    return new RelayError("api_error", `The upstream failed: ${cliMessage}`, { status, retryable: true, detail });
  }
  if (status === null && /timed out/i.test(cliMessage)) {
    return new RelayError("timeout", `The upstream did not answer in time: ${cliMessage}`, { retryable: true, detail });
  }
  if (status !== null && status >= 400) {
    return new RelayError("invalid_request", cliMessage, { status, detail });
  }
  return new RelayError("api_error", `Claude Code failed: ${cliMessage}`, { status: 502, detail });
}
