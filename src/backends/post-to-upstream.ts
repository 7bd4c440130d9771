/**
 * POSTs a request to an HTTP upstream and resolves once its response headers arrive, whatever the status.
 * The timeout covers the wait for the headers only: a long stream may take as long as it needs. A request the
 * caller aborted rejects with the caller's reason; a timeout is a retryable 504, a failure to connect a
 * retryable 502 naming the provider and where it was looked for (the cause goes to the detail, for the log).
 */
import { RelayError } from "../core/relay-error.ts";

export interface UpstreamPost {
  url: string | URL;
  headers: Headers | Record<string, string>;
  body: Uint8Array | string;
  signal: AbortSignal;
  timeoutMs: number;
  /** How errors name the provider, e.g. `Provider "openrouter"`. */
  label: string;
  /** Where the provider was looked for, as errors name it (its base URL or origin). */
  where: string;
}

export async function postToUpstream(post: UpstreamPost): Promise<Response> {
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(), post.timeoutMs);
  try {
    return await fetch(post.url, { method: "POST", headers: post.headers, body: post.body, signal: AbortSignal.any([post.signal, headersTimeout.signal]) });
  } catch (error) {
    if (post.signal.aborted) throw error;
    if (headersTimeout.signal.aborted) {
      throw new RelayError("timeout", `${post.label} did not answer within ${post.timeoutMs / 1000} s.`, { retryable: true });
    }
    throw new RelayError("api_error", `${post.label} could not be reached at ${post.where}.`, {
      status: 502,
      retryable: true,
      code: "provider_unreachable",
      detail: error instanceof Error ? error.message : String(error),
    });
  } finally {
    clearTimeout(timer);
  }
}
