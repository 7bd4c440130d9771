/**
 * Requests to one Anthropic-compatible upstream: its URL, its credentials (the provider's own, or the
 * client's when the provider forwards client keys), its extra headers, and failures as RelayErrors that name
 * the provider (an unreachable host is a 502 naming it and its URL, a slow one a 504).
 */
import { postToUpstream } from "../post-to-upstream.ts";
import { forwardableRequestHeaders, PassthroughUpstreamError } from "../../core/relay-passthrough.ts";
import { mapAnthropicError } from "../anthropic-wire/map-anthropic-error.ts";
import type { AnthropicProviderConfig } from "../../config/routing-config.ts";

export class AnthropicUpstream {
  readonly baseUrl: string;

  constructor(readonly provider: string, private readonly config: AnthropicProviderConfig) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
  }

  /** The full URL of an API path such as "/v1/messages" plus the client's query string. */
  url(path: string, search = ""): string {
    return `${this.baseUrl}${path}${search}`;
  }

  /**
   * Headers for an upstream request. Client headers (anthropic-beta, anthropic-version, user-agent, ...) are
   * kept for passthrough requests; the client's own credentials only when the provider forwards them.
   */
  headers(clientHeaders?: Headers): Headers {
    const forwardClientKey = this.config.forwardClientKey;
    const headers = clientHeaders
      ? forwardableRequestHeaders(clientHeaders, forwardClientKey ? ["x-request-id"] : ["authorization", "x-api-key", "x-request-id", "cookie"])
      : new Headers();
    if (!forwardClientKey) {
      if (this.config.apiKey) headers.set("x-api-key", this.config.apiKey);
      if (this.config.authToken) headers.set("authorization", `Bearer ${this.config.authToken}`);
    }
    for (const [name, value] of Object.entries(this.config.headers ?? {})) headers.set(name, value);
    if (!headers.has("anthropic-version")) headers.set("anthropic-version", this.config.anthropicVersion);
    headers.set("content-type", "application/json");
    return headers;
  }

  /** POSTs a body; resolves with a 2xx response, throws a PassthroughUpstreamError (with the upstream's answer) otherwise. */
  async post(input: { path: string; search?: string; body: Uint8Array | string; headers: Headers; signal: AbortSignal }): Promise<Response> {
    const url = this.url(input.path, input.search);
    const response = await postToUpstream({
      url,
      headers: input.headers,
      body: input.body,
      signal: input.signal,
      timeoutMs: this.config.timeoutMs,
      label: `Provider "${this.provider}"`,
      where: this.baseUrl,
    });
    if (response.ok) return response;
    throw await this.responseError(response);
  }

  private async responseError(response: Response): Promise<PassthroughUpstreamError> {
    const body = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
    let type: string | undefined;
    let message = "";
    try {
      const parsed = JSON.parse(new TextDecoder().decode(body)) as { error?: { type?: string; message?: string } };
      type = parsed.error?.type;
      message = parsed.error?.message ?? "";
    } catch {
      message = new TextDecoder().decode(body.subarray(0, 500)).trim();
    }
    const retryAfter = Number(response.headers.get("retry-after"));
    const mapped = mapAnthropicError({
      status: response.status,
      type,
      message: message || `HTTP ${response.status}`,
      provider: this.provider,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    });
    return new PassthroughUpstreamError(mapped.kind, mapped.message, {
      status: mapped.status,
      code: mapped.code,
      retryable: mapped.retryable,
      retryAfterSeconds: mapped.retryAfterSeconds,
      detail: mapped.detail,
      upstreamResponse: { status: response.status, headers: response.headers, body },
    });
  }
}
