/**
 * Upstream failures -> RelayErrors the client can act on. The upstream's status and message reach the client;
 * a rejected provider key is the relay operator's problem (502 naming the provider), never a 401 that
 * blames the client's own key.
 */
import { RelayError } from "../../core/relay-error.ts";

export interface UpstreamErrorInput {
  providerName: string;
  status: number;
  /** The response body as text. */
  body: string;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
}

/** The message an OpenAI-style body carries: `{error: {message}}`, `{error: "..."}` (Ollama) or `{message}`. */
export function upstreamErrorMessage(body: string): { message: string | undefined; code: string | undefined } {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const error = parsed.error;
    if (typeof error === "string") return { message: error, code: undefined };
    if (error && typeof error === "object") {
      const { message, code, type } = error as { message?: unknown; code?: unknown; type?: unknown };
      return { message: typeof message === "string" ? message : undefined, code: typeof code === "string" ? code : typeof type === "string" ? type : undefined };
    }
    if (typeof parsed.message === "string") return { message: parsed.message, code: undefined };
  } catch {
    // Not JSON: a proxy's HTML page or plain text.
  }
  const text = body.trim();
  return { message: text && text.length <= 300 && !text.startsWith("<") ? text : undefined, code: undefined };
}

/** Seconds from a Retry-After header (seconds or an HTTP date). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

export function mapOpenAIUpstreamError(input: UpstreamErrorInput): RelayError {
  const { providerName, status } = input;
  const { message, code } = upstreamErrorMessage(input.body);
  const said = message ?? `HTTP ${status}`;
  const options = { status, code: code ?? null, detail: `upstream ${status}: ${input.body.slice(0, 1000)}` };
  if (status === 401 || status === 403) {
    return new RelayError("backend_authentication", `Provider "${providerName}" rejected the relay's API key (${status}: ${said}). Check the provider's api_key in the relay's configuration.`, { ...options, status: 502, code: "provider_key_rejected" });
  }
  if (status === 429) {
    return new RelayError("rate_limit", `Provider "${providerName}" is rate limiting requests: ${said}`, { ...options, retryAfterSeconds: parseRetryAfter(input.retryAfter), retryable: true });
  }
  if (status === 400 || status === 422) return new RelayError("invalid_request", `Provider "${providerName}": ${said}`, options);
  if (status === 404) return new RelayError("not_found", `Provider "${providerName}": ${said}`, options);
  if (status === 413) return new RelayError("request_too_large", `Provider "${providerName}": ${said}`, options);
  if (status === 408) return new RelayError("timeout", `Provider "${providerName}" timed out: ${said}`, { ...options, retryable: true });
  if (status === 529 || /overloaded/i.test(said)) return new RelayError("overloaded", `Provider "${providerName}" is overloaded: ${said}`, { ...options, retryable: true, retryAfterSeconds: parseRetryAfter(input.retryAfter) });
  if (status >= 500) return new RelayError("api_error", `Provider "${providerName}" failed (${status}): ${said}`, { ...options, retryable: true, retryAfterSeconds: parseRetryAfter(input.retryAfter) });
  return new RelayError("api_error", `Provider "${providerName}" answered ${status}: ${said}`, options);
}

/** An error sent inside a stream that already started (`data: {"error": ...}`, as OpenRouter does). */
export function mapOpenAIStreamError(error: { message?: string; code?: number | string }, providerName: string): RelayError {
  const status = typeof error.code === "number" && error.code >= 400 && error.code < 600 ? error.code : 502;
  return new RelayError("api_error", `Provider "${providerName}" failed during the answer: ${error.message ?? "unknown error"}`, { status, retryable: true });
}

/** A request the provider never answered: refused connection, DNS failure, reset. */
export function unreachableProviderError(providerName: string, url: string, cause: unknown): RelayError {
  const reason = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : String(cause);
  return new RelayError("api_error", `Provider "${providerName}" cannot be reached at ${url} (${reason}).`, { status: 502, code: "provider_unreachable", retryable: true, cause });
}

export function providerTimeoutError(providerName: string, url: string, timeoutMs: number): RelayError {
  return new RelayError("timeout", `Provider "${providerName}" at ${url} did not answer within ${Math.round(timeoutMs / 1000)} s.`, { status: 504, code: "provider_timeout", retryable: true });
}
