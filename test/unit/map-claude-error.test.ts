import { describe, expect, test } from "bun:test";
import type { ClaudeResultMessage } from "../../src/backends/claude/claude-messages.ts";
import { mapClaudeResultError } from "../../src/backends/claude/map-claude-error.ts";
import type { RelayErrorKind } from "../../src/core/relay-error.ts";

const failed = (fields: Partial<ClaudeResultMessage>): ClaudeResultMessage => ({
  type: "result",
  subtype: "success",
  is_error: true,
  api_error_status: null,
  terminal_reason: "completed",
  ...fields,
});

interface Case {
  name: string;
  result: ClaudeResultMessage;
  syntheticError?: string;
  kind: RelayErrorKind;
  status: number;
  code?: string | null;
  retryable?: boolean;
  /** Text the client must see in the message. */
  says?: string;
}

// Result texts are the CLI's own wording (claude 2.1.197, see claude-cli-protocol.md Q2).
const cases: Case[] = [
  {
    name: "400 invalid request",
    result: failed({ api_error_status: 400, result: "API Error: 400 messages.0.content: fake invalid request" }),
    syntheticError: "unknown",
    kind: "invalid_request",
    status: 400,
    code: null,
    says: "messages.0.content: fake invalid request",
  },
  {
    name: "400 prompt too long (terminal_reason)",
    result: failed({ api_error_status: 400, terminal_reason: "prompt_too_long", result: "Prompt is too long · the request is ~250000 tokens (limit 200000) but this conversation is only ~3 tokens — the rest is system prompt" }),
    syntheticError: "invalid_request",
    kind: "invalid_request",
    status: 400,
    code: "context_length_exceeded",
    // The API's own sentence, not the CLI's advice about its system prompt.
    says: "prompt is too long: 250000 tokens > 200000 maximum",
  },
  {
    name: "400 prompt too long (message only)",
    result: failed({ api_error_status: 400, result: "API Error: 400 prompt is too long: 250000 tokens > 200000 maximum" }),
    kind: "invalid_request",
    status: 400,
    code: "context_length_exceeded",
  },
  {
    name: "401 invalid key",
    result: failed({ api_error_status: 401, result: "Invalid API key · Fix external API key" }),
    syntheticError: "authentication_failed",
    kind: "backend_authentication",
    status: 502,
    code: "backend_authentication_failed",
    retryable: false,
    says: "Log in to Claude Code",
  },
  {
    name: "403 permission",
    result: failed({ api_error_status: 403, result: "Failed to authenticate. API Error: 403 forbidden" }),
    syntheticError: "authentication_failed",
    kind: "backend_authentication",
    status: 502,
    retryable: false,
    says: "Log in to Claude Code",
  },
  {
    name: "404 model not found",
    result: failed({ api_error_status: 404, result: "There's an issue with the selected model (claude-foo-9). It may not exist or you may not have access to it." }),
    syntheticError: "model_not_found",
    kind: "not_found",
    status: 404,
    code: "model_not_found",
    says: "claude-foo-9",
  },
  {
    name: "413 request too large",
    result: failed({ api_error_status: 413, terminal_reason: "image_error", result: "Request too large (max 32MB). Try with a smaller file." }),
    syntheticError: "invalid_request",
    kind: "request_too_large",
    status: 413,
  },
  {
    name: "429 rate limit",
    result: failed({ api_error_status: 429, result: "API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit" }),
    syntheticError: "rate_limit",
    kind: "rate_limit",
    status: 429,
    code: "rate_limit_exceeded",
    retryable: true,
    says: "per-minute rate limit",
  },
  {
    name: "500 server error",
    result: failed({ api_error_status: 500, result: "API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment." }),
    syntheticError: "server_error",
    kind: "api_error",
    status: 500,
    retryable: true,
  },
  { name: "502 bad gateway", result: failed({ api_error_status: 502, result: "API Error: 502 Bad Gateway" }), kind: "api_error", status: 502, retryable: true },
  { name: "503 unavailable", result: failed({ api_error_status: 503, result: "API Error: 503 Service Unavailable" }), kind: "api_error", status: 503, retryable: true },
  {
    name: "529 overloaded",
    result: failed({ api_error_status: 529, result: "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment." }),
    syntheticError: "server_error",
    kind: "overloaded",
    status: 529,
    code: "overloaded",
    retryable: true,
  },
  {
    name: "no status, request timed out",
    result: failed({ api_error_status: null, result: "Request timed out" }),
    kind: "timeout",
    status: 504,
    retryable: true,
  },
  {
    name: "no status, not logged in",
    result: failed({ api_error_status: null, result: "Not logged in · Please run /login" }),
    kind: "backend_authentication",
    status: 502,
    says: "Log in to Claude Code",
  },
  {
    name: "no status, synthetic authentication_failed",
    result: failed({ api_error_status: null, result: "OAuth session could not be refreshed" }),
    syntheticError: "authentication_failed",
    kind: "backend_authentication",
    status: 502,
  },
  {
    name: "unknown non-API failure (interrupted run, errors only)",
    result: failed({ subtype: "error_during_execution", terminal_reason: "aborted_streaming", errors: ["[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null"] }),
    kind: "api_error",
    status: 502,
    says: "ede_diagnostic",
  },
  {
    name: "unknown non-API failure (max turns)",
    result: failed({ subtype: "error_max_turns", terminal_reason: "max_turns", errors: ["Reached maximum number of turns (1)"] }),
    kind: "api_error",
    status: 502,
    says: "Reached maximum number of turns",
  },
];

describe("mapClaudeResultError", () => {
  for (const { name, result, syntheticError, kind, status, code, retryable, says } of cases) {
    test(name, () => {
      const error = mapClaudeResultError(result, syntheticError);
      expect(error.kind).toBe(kind);
      expect(error.status).toBe(status);
      if (code !== undefined) expect(error.code).toBe(code);
      if (retryable !== undefined) expect(error.retryable).toBe(retryable);
      if (says !== undefined) expect(error.message).toContain(says);
    });
  }

  test("the backend login message says it is not the client's key", () => {
    const error = mapClaudeResultError(failed({ api_error_status: 401, result: "Invalid API key · Fix external API key" }), "authentication_failed");
    expect(error.message).toContain("not the API key your client sent");
  });

  test("the log detail keeps the CLI's fields", () => {
    const error = mapClaudeResultError(failed({ api_error_status: 429, result: "API Error: Request rejected (429)" }));
    expect(JSON.parse(error.detail!)).toMatchObject({ status: 429, result: "API Error: Request rejected (429)", terminal_reason: "completed" });
  });

  test("a very long CLI message is cut to 2000 characters in the client message", () => {
    const error = mapClaudeResultError(failed({ api_error_status: 400, result: "x".repeat(10_000) }));
    expect(error.message.length).toBe(2000);
  });

  test("clients do not learn the operator's upstream addresses; the log keeps them", () => {
    const cliText =
      "API Error: 500 Internal server error. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:9203).";
    const error = mapClaudeResultError(failed({ api_error_status: 500, result: cliText }));
    expect(error.message).toContain("API Error: 500 Internal server error.");
    expect(error.message).not.toContain("127.0.0.1");
    expect(error.message).not.toContain("gateway (");
    expect(JSON.parse(error.detail!).result).toBe(cliText);

    for (const address of ["https://llm-gateway.corp.example:8443/v1/messages", "10.1.2.3:8080", "[fd00::1]:443", "gateway.internal:9200"]) {
      const leaked = mapClaudeResultError(failed({ api_error_status: 502, result: `API Error: request to ${address} failed, reason: ECONNREFUSED` }));
      expect(leaked.message).not.toContain(address);
      expect(leaked.message).toContain("ECONNREFUSED");
    }
  });
});
