/**
 * `type: anthropic` providers: the Anthropic API or an Anthropic-compatible gateway. Anthropic Messages
 * clients (and count_tokens) are passed through untranslated (the model and the credentials are the only
 * edits, the answer comes back byte for byte); OpenAI Chat and Responses clients go through the hub:
 * RelayRequest -> Messages body -> the upstream's stream -> RelayEvents.
 */
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../../core/relay-backend.ts";
import { incompleteResponseError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import { forwardableResponseHeaders, type PassthroughContext, type PassthroughProtocol, type PassthroughRequest, type PassthroughResponse } from "../../core/relay-passthrough.ts";
import type { RelayRequest } from "../../core/relay-request.ts";
import { AnthropicStreamMapper } from "../anthropic-wire/map-anthropic-stream-events.ts";
import { toAnthropicMessagesBody } from "../anthropic-wire/to-anthropic-messages-body.ts";
import type { AnthropicProviderConfig } from "../../config/routing-config.ts";
import { AnthropicUpstream } from "./anthropic-upstream.ts";
import { observeAnthropicAnswer } from "./observe-anthropic-answer.ts";
import { forwardObservedAnswer, isEventStream } from "../passthrough/forward-observed-answer.ts";
import { replaceJsonModel } from "../../wire/replace-json-model.ts";
import { SseDecoder } from "../../wire/sse-decoder.ts";

export class AnthropicBackend implements RelayBackend {
  private readonly upstream: AnthropicUpstream;
  private active = 0;
  private readonly inFlight = new Set<AbortController>();
  private models: RelayModel[] = [];
  private modelsError: string | undefined;

  readonly name: string;

  constructor(private readonly config: AnthropicProviderConfig) {
    this.name = config.name;
    this.upstream = new AnthropicUpstream(config.name, config);
  }

  async *stream(request: RelayRequest, context: BackendContext): AsyncIterable<RelayEvent> {
    const { body, warnings } = toAnthropicMessagesBody({ ...request, stream: true }, { model: request.model, defaultMaxTokens: this.config.defaultMaxTokens });
    const betas = request.longContext ? ["context-1m-2025-08-07"] : [];
    const headers = this.upstream.headers();
    if (betas.length > 0) headers.set("anthropic-beta", betas.join(","));
    const abort = this.track(context.signal);
    this.active++;
    try {
      const response = await this.upstream.post({ path: "/v1/messages", body: JSON.stringify(body), headers, signal: abort.signal });
      const mapper = new AnthropicStreamMapper({ provider: this.name, requestedModel: request.model });
      const decoder = new SseDecoder();
      const reader = response.body!.getReader();
      let warned = false;
      const withWarnings = (events: RelayEvent[]) =>
        events.map((event) => {
          if (event.type !== "stream-start" || warned) return event;
          warned = true;
          return warnings.length > 0 ? { ...event, warnings: [...(event.warnings ?? []), ...warnings] } : event;
        });
      while (true) {
        const next = await reader.read();
        const sseEvents = next.done ? decoder.end() : decoder.push(next.value);
        for (const sseEvent of sseEvents) {
          if (!sseEvent.data.startsWith("{")) continue;
          yield* withWarnings(mapper.map(JSON.parse(sseEvent.data)));
          if (mapper.finished) return;
        }
        if (next.done) break;
      }
      throw incompleteResponseError();
    } finally {
      this.active--;
      this.release(abort);
    }
  }

  /** Anthropic Messages and count_tokens requests are forwarded untranslated. */
  supportsPassthrough(protocol: PassthroughProtocol): boolean {
    return protocol === "anthropic-messages" || protocol === "anthropic-count-tokens";
  }

  passthrough(request: PassthroughRequest, context: PassthroughContext): Promise<PassthroughResponse> {
    return this.forward(request, context, request.protocol === "anthropic-count-tokens" ? "/v1/messages/count_tokens" : "/v1/messages");
  }

  private async forward(request: PassthroughRequest, context: PassthroughContext, path: string): Promise<PassthroughResponse> {
    const abort = this.track(context.signal);
    this.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.active--;
      this.release(abort);
    };
    try {
      const upstream = await this.upstream.post({
        path,
        search: request.search,
        body: replaceJsonModel(request.body, context.model),
        headers: this.upstream.headers(request.headers),
        signal: abort.signal,
      });
      if (path.endsWith("count_tokens")) {
        release();
        return { response: new Response(upstream.body, { status: upstream.status, headers: forwardableResponseHeaders(upstream.headers) }), completion: Promise.resolve() };
      }
      const stream = isEventStream(upstream);
      const observer = observeAnthropicAnswer({ stream, provider: this.name, requestedModel: context.model, onEvent: context.onEvent });
      return await forwardObservedAnswer({ upstream, stream, observer, release });
    } catch (error) {
      release();
      throw error;
    }
  }

  async countTokens(request: RelayRequest, context: BackendContext): Promise<RelayTokenCount> {
    const { body } = toAnthropicMessagesBody(request, { model: request.model });
    delete body.max_tokens;
    delete body.stream;
    delete body.metadata;
    const response = await this.upstream.post({ path: "/v1/messages/count_tokens", body: JSON.stringify(body), headers: this.upstream.headers(), signal: context.signal });
    const counted = (await response.json()) as { input_tokens?: number };
    return { inputTokens: Number(counted.input_tokens ?? 0), estimated: false };
  }

  /** Reads the upstream's model list once; an unreachable provider is reported in health, not fatal. */
  async listModels(): Promise<RelayModel[]> {
    if (this.models.length > 0) return this.models;
    try {
      const response = await fetch(this.upstream.url("/v1/models", "?limit=1000"), { headers: this.upstream.headers(), signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const listed = (await response.json()) as { data?: Array<{ id: string; display_name?: string }> };
      this.models = (listed.data ?? []).map((model) => ({ id: model.id, displayName: model.display_name ?? model.id, ownedBy: this.name }));
      this.modelsError = undefined;
    } catch (error) {
      this.modelsError = `could not list models at ${this.upstream.baseUrl}: ${error instanceof Error ? error.message : String(error)}`;
    }
    return this.models;
  }

  health(): BackendHealth {
    return {
      ok: true,
      details: { type: "anthropic", base_url: this.upstream.baseUrl, ...(this.modelsError ? { models: this.modelsError } : {}) },
    };
  }

  load(): BackendLoad {
    return { active: this.active, queued: 0 };
  }

  async shutdown(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < deadline) await Bun.sleep(20);
    for (const controller of this.inFlight) controller.abort(new Error("relay shutting down"));
  }

  private track(signal: AbortSignal): AbortController {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    this.inFlight.add(controller);
    return controller;
  }

  private release(controller: AbortController): void {
    this.inFlight.delete(controller);
  }
}
