/**
 * The backend for OpenAI-compatible Chat Completions upstreams (OpenAI, OpenRouter, Azure OpenAI, Ollama,
 * LM Studio, DeepSeek, xAI, Gemini's OpenAI endpoint): the neutral request goes out as one streamed Chat
 * Completions request, and its chunks come back as neutral events, so every client protocol reaches it.
 */
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../../core/relay-backend.ts";
import { estimateRelayInputTokens } from "../../core/estimate-relay-input-tokens.ts";
import { RelayError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import type { PassthroughContext, PassthroughProtocol, PassthroughRequest, PassthroughResponse } from "../../core/relay-passthrough.ts";
import type { RelayRequest } from "../../core/relay-request.ts";
import type { Logger } from "../../util/logger.ts";
import { buildOpenAIChatRequest, type BuiltOpenAIChatRequest } from "./build-openai-chat-request.ts";
import { mapOpenAIChatCompletion } from "./map-openai-chat-completion.ts";
import { mapOpenAIChatStream } from "./map-openai-chat-stream.ts";
import { mapOpenAIUpstreamError } from "./map-openai-upstream-error.ts";
import { refusedParameterOf, type ModelAdaptations } from "./learn-from-upstream-rejection.ts";
import { forwardOpenAIChatRequest } from "./forward-openai-chat-request.ts";
import { OpenAIModelCatalog } from "./openai-model-catalog.ts";
import type { OpenAIChatCompletion } from "./openai-chat-wire.ts";
import { detectOpenAIDialect, requiresMaxCompletionTokens, type OpenAICompatibleOptions, type OpenAIDialect } from "./openai-compatible-options.ts";
import { OpenAIUpstreamClient, type UpstreamCall } from "./openai-upstream-client.ts";

let responseCounter = 0;

export class OpenAICompatibleBackend implements RelayBackend {
  readonly name: string;
  private readonly dialect: OpenAIDialect;
  private readonly client: OpenAIUpstreamClient;
  private readonly catalog: OpenAIModelCatalog;
  /** What each model's provider refused so far (max_tokens, reasoning_effort), so it is not sent again. */
  private readonly adaptations = new Map<string, ModelAdaptations>();
  private readonly running = new Set<AbortController>();
  private closing = false;

  constructor(
    private readonly options: OpenAICompatibleOptions,
    private readonly log: Logger,
  ) {
    this.name = options.name;
    this.dialect = detectOpenAIDialect(options);
    this.client = new OpenAIUpstreamClient(options);
    this.catalog = new OpenAIModelCatalog(() => this.client.fetchModelList(), options.models);
  }

  /** Reads the provider's /models; never fails (an unreachable provider is reported by health()). */
  async start(): Promise<void> {
    await this.catalog.refresh();
    const status = this.catalog.status;
    if (status.state === "unavailable") this.log.warn("provider models unavailable", { provider: this.name, reason: status.reason });
    else this.log.info("provider models loaded", { provider: this.name, models: this.catalog.list().length });
  }

  async *stream(request: RelayRequest, context: BackendContext): AsyncGenerator<RelayEvent> {
    if (this.closing) throw new RelayError("unavailable", "The relay is shutting down.");
    await this.catalog.ready();
    const model = request.model;
    const cancel = new AbortController();
    const onClientGone = () => cancel.abort(context.signal.reason);
    if (context.signal.aborted) onClientGone();
    context.signal.addEventListener("abort", onClientGone, { once: true });
    this.running.add(cancel);
    let call: UpstreamCall | undefined;
    try {
      const adaptations = this.adaptationsOf(model);
      let built = this.build(request, model, adaptations);
      call = await this.client.post("chat/completions", built.body, cancel.signal);
      // At most one re-send per parameter the model refuses (max_tokens, reasoning_effort).
      while (call.response.status === 400) {
        const text = await call.response.text();
        call.close();
        const refused = refusedParameterOf(text, { maxTokens: built.body.max_tokens !== undefined, reasoningEffort: built.body.reasoning_effort !== undefined || built.body.reasoning !== undefined });
        if (refused === undefined) throw this.upstreamError(call.response, text);
        if (refused === "max_tokens") adaptations.maxCompletionTokens = true;
        else adaptations.omitReasoningEffort = true;
        this.adaptations.set(model, adaptations);
        context.log.info("provider refused a parameter; re-sending without it", { provider: this.name, model, parameter: refused });
        built = this.build(request, model, adaptations);
        call = await this.client.post("chat/completions", built.body, cancel.signal);
      }
      if (!call.response.ok) throw this.upstreamError(call.response, await call.response.text());
      const streamContext = { providerName: this.name, model, responseId: `chatcmpl-relay-${++responseCounter}` };
      const contentType = call.response.headers.get("content-type") ?? "";
      const events = contentType.includes("application/json")
        ? mapOpenAIChatCompletion((await call.response.json()) as OpenAIChatCompletion, streamContext)
        : mapOpenAIChatStream(call.body(), streamContext);
      for await (const event of events) {
        // What the provider could not honour goes out with the start of the answer, to the client's log line.
        if (event.type === "stream-start") yield { ...event, warnings: [...(event.warnings ?? []), ...built.warnings] };
        else yield event;
        if (event.type === "finish" && event.usage.inputTokens + event.usage.outputTokens + event.usage.cacheReadInputTokens === 0) {
          context.log.warn("provider reported no usage", { provider: this.name, model });
        }
      }
    } finally {
      call?.close();
      context.signal.removeEventListener("abort", onClientGone);
      this.running.delete(cancel);
    }
  }

  /** OpenAI Chat clients are forwarded untranslated, unless the provider is configured `passthrough: false`. */
  supportsPassthrough(protocol: PassthroughProtocol): boolean {
    return protocol === "openai-chat" && this.options.passthrough !== false;
  }

  async passthrough(request: PassthroughRequest, context: PassthroughContext): Promise<PassthroughResponse> {
    if (this.closing) throw new RelayError("unavailable", "The relay is shutting down.");
    const cancel = new AbortController();
    const onClientGone = () => cancel.abort(context.signal.reason);
    if (context.signal.aborted) onClientGone();
    context.signal.addEventListener("abort", onClientGone, { once: true });
    this.running.add(cancel);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      context.signal.removeEventListener("abort", onClientGone);
      this.running.delete(cancel);
    };
    try {
      return await forwardOpenAIChatRequest({ providerName: this.name, client: this.client, request, context, signal: cancel.signal, release });
    } catch (error) {
      release();
      throw error;
    }
  }

  health(): BackendHealth {
    const status = this.catalog.status;
    const details = { type: "openai", base_url: this.client.displayUrlOf("chat/completions").replace(/\/chat\/completions$/, ""), models: this.catalog.list().length };
    if (status.state === "unavailable") return { ok: false, reason: status.reason, details };
    return { ok: true, details };
  }

  async listModels(): Promise<RelayModel[]> {
    return this.catalog.list().map((model) => ({ id: model.id, displayName: model.displayName, ...model.limits }));
  }

  /** An estimate: Chat Completions has no token-counting endpoint. */
  async countTokens(request: RelayRequest): Promise<RelayTokenCount> {
    return { inputTokens: estimateRelayInputTokens(request), estimated: true };
  }

  load(): BackendLoad {
    return { active: this.running.size, queued: 0 };
  }

  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await Bun.sleep(20);
    for (const cancel of this.running) cancel.abort(new RelayError("unavailable", "The relay is shutting down."));
  }

  private adaptationsOf(model: string): ModelAdaptations {
    const learned = this.adaptations.get(model);
    return { maxCompletionTokens: learned?.maxCompletionTokens ?? requiresMaxCompletionTokens(model), omitReasoningEffort: learned?.omitReasoningEffort ?? false };
  }

  private build(request: RelayRequest, model: string, adaptations: ModelAdaptations): BuiltOpenAIChatRequest {
    return buildOpenAIChatRequest({ request, model, options: this.options, dialect: this.dialect, limits: this.catalog.limitsOf(model), ...adaptations });
  }

  private upstreamError(response: Response, body: string): RelayError {
    return mapOpenAIUpstreamError({ providerName: this.name, status: response.status, body, retryAfter: response.headers.get("retry-after") });
  }
}
