/**
 * HTTP to one OpenAI-compatible provider: URLs (Azure's api-version), authentication (bearer or Azure's
 * api-key), custom headers, a timeout for the response headers and between stream chunks, and the
 * client's cancellation, which aborts the upstream request at once. Bun's fetch keeps connections alive.
 */
import { RelayError } from "../../core/relay-error.ts";
import type { OpenAICompatibleOptions } from "./openai-compatible-options.ts";
import { mapOpenAIUpstreamError, providerTimeoutError, unreachableProviderError } from "./map-openai-upstream-error.ts";

const defaultTimeoutMs = 300_000;

/** One upstream call in progress: its response, and a body reader that enforces the idle timeout. */
export interface UpstreamCall {
  response: Response;
  /** The body's chunks, each read guarded by the idle timeout and the cancellation. */
  body(): AsyncGenerator<Uint8Array>;
  /** Ends the call (closes the connection if the body was not read to the end). */
  close(): void;
}

export class OpenAIUpstreamClient {
  readonly timeoutMs: number;

  constructor(private readonly options: OpenAICompatibleOptions) {
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  /** The URL of an endpoint below base_url, e.g. "chat/completions". */
  urlOf(endpoint: string): string {
    const url = `${this.options.baseUrl.replace(/\/+$/, "")}/${endpoint}`;
    return this.options.apiVersion ? `${url}?api-version=${encodeURIComponent(this.options.apiVersion)}` : url;
  }

  /** The URL for messages: without query or credentials. */
  displayUrlOf(endpoint: string): string {
    try {
      const url = new URL(this.urlOf(endpoint));
      return `${url.origin}${url.pathname}`;
    } catch {
      return this.options.baseUrl;
    }
  }

  headers(): Record<string, string> {
    return { "content-type": "application/json", accept: "application/json, text/event-stream", ...this.credentialHeaders() };
  }

  /** The provider's key (Bearer, or Azure's api-key) and its configured headers. */
  credentialHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.options.apiKey) {
      if (this.options.apiVersion) headers["api-key"] = this.options.apiKey;
      else headers.authorization = `Bearer ${this.options.apiKey}`;
    }
    return { ...headers, ...this.options.headers };
  }

  /** GET /models, parsed; throws an Error whose message is safe for /health. */
  async fetchModelList(): Promise<unknown> {
    const url = this.urlOf("models");
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers(), signal: AbortSignal.timeout(Math.min(this.timeoutMs, 15_000)) });
    } catch (error) {
      throw new Error(unreachableProviderError(this.options.name, this.displayUrlOf("models"), error).message);
    }
    if (!response.ok) {
      const error = mapOpenAIUpstreamError({ providerName: this.options.name, status: response.status, body: await response.text(), retryAfter: null });
      throw new Error(`GET ${this.displayUrlOf("models")}: ${error.message}`);
    }
    return response.json();
  }

  /** POSTs to an endpoint; resolves once the response headers arrived, whatever the status. */
  async post(endpoint: string, body: unknown, signal: AbortSignal): Promise<UpstreamCall> {
    const controller = new AbortController();
    let timedOut = false;
    let timer: Timer | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs);
    };
    const onCancel = () => controller.abort(signal.reason);
    if (signal.aborted) onCancel();
    signal.addEventListener("abort", onCancel, { once: true });
    // Set once the body was read to its end: nothing is left to abort then.
    let bodyEnded = false;
    const close = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onCancel);
      if (!bodyEnded) controller.abort();
    };
    // Every failure becomes a RelayError: the client's cancellation, our timeout, or a broken connection.
    const failure = (error: unknown, duringBody: boolean): RelayError => {
      if (signal.aborted) return signal.reason instanceof RelayError ? signal.reason : new RelayError("api_error", "client disconnected", { status: 499 });
      if (timedOut) return providerTimeoutError(this.options.name, this.displayUrlOf(endpoint), this.timeoutMs);
      if (error instanceof RelayError) return error;
      if (duringBody) return new RelayError("api_error", `Provider "${this.options.name}" closed the connection during the answer.`, { status: 502, retryable: true, cause: error });
      return unreachableProviderError(this.options.name, this.displayUrlOf(endpoint), error);
    };

    arm();
    let response: Response;
    try {
      response = await fetch(this.urlOf(endpoint), { method: "POST", headers: this.headers(), body: JSON.stringify(body), signal: controller.signal });
    } catch (error) {
      close();
      throw failure(error, false);
    }
    const upstreamBody = response.body;
    return {
      response,
      close,
      // A generator over the upstream reader rather than a second ReadableStream: one stream layer less per chunk.
      body: async function* () {
        if (!upstreamBody) return;
        const reader = upstreamBody.getReader();
        try {
          while (true) {
            arm();
            let read: Awaited<ReturnType<typeof reader.read>>;
            try {
              read = await reader.read();
            } catch (error) {
              throw failure(error, true);
            } finally {
              clearTimeout(timer);
            }
            if (read.done) {
              bodyEnded = true;
              return;
            }
            yield read.value;
          }
        } finally {
          // The consumer stopped early (or the read failed): nothing more is read, the connection is dropped.
          if (!bodyEnded) close();
        }
      },
    };
  }
}
