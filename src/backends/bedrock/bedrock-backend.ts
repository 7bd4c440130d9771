/**
 * `type: bedrock` providers. Claude models get the native Anthropic Messages body through InvokeModel /
 * InvokeModelWithResponseStream, so tools, images, documents, thinking and cache markers all reach the
 * model; Anthropic Messages clients are passed through (their body edited only as Bedrock requires, their
 * answer re-framed from the binary event stream to SSE without touching an event's bytes). Other models go
 * through Converse / ConverseStream. count_tokens is a local estimate: Bedrock has no counting call.
 */
import { ConfigError } from "../../config.ts";
import type { Logger } from "../../util/logger.ts";
import type { BackendContext, BackendHealth, BackendLoad, RelayBackend, RelayModel, RelayTokenCount } from "../../core/relay-backend.ts";
import { estimateRelayInputTokens } from "../../core/estimate-relay-input-tokens.ts";
import { incompleteResponseError } from "../../core/relay-error.ts";
import type { RelayEvent } from "../../core/relay-event.ts";
import type { PassthroughContext, PassthroughProtocol, PassthroughRequest, PassthroughResponse } from "../../core/relay-passthrough.ts";
import type { RelayRequest, RelayWarning } from "../../core/relay-request.ts";
import { AnthropicStreamMapper } from "../anthropic-wire/map-anthropic-stream-events.ts";
import { toAnthropicMessagesBody } from "../anthropic-wire/to-anthropic-messages-body.ts";
import { callBedrock, defaultBedrockBaseUrl, type BedrockEndpoint } from "./bedrock-client.ts";
import { describeBedrockAuthorization, resolveBedrockAuthorization, type BedrockAuthorization } from "./bedrock-credentials.ts";
import { resolveBedrockModel, type ResolvedBedrockModel } from "./resolve-bedrock-model.ts";
import type { BedrockProviderConfig } from "../../config/routing-config.ts";
import { ConverseStreamMapper, converseResponseAsStreamEvents } from "./map-converse-stream-events.ts";
import { prepareBedrockAnthropicBody } from "./prepare-bedrock-anthropic-body.ts";
import { forwardBedrockAnthropicAnswer } from "./forward-bedrock-anthropic-answer.ts";
import { readBedrockEventStream } from "./read-bedrock-event-stream.ts";
import { toBedrockConverseBody } from "./to-bedrock-converse-body.ts";

export interface BedrockBackendOptions {
  config: BedrockProviderConfig;
  environment: Record<string, string | undefined>;
  log?: Logger;
}

export class BedrockBackend implements RelayBackend {
  readonly name: string;
  private readonly endpoint: BedrockEndpoint;
  private readonly authorization: BedrockAuthorization;
  private credentialsProblem: string | undefined;
  private active = 0;
  private readonly warnedOpaque = new Set<string>();
  private readonly log: Logger | undefined;

  constructor(private readonly options: BedrockBackendOptions) {
    this.name = options.config.name;
    this.log = options.log;
    const region = options.config.region ?? options.environment.AWS_REGION ?? options.environment.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigError(`bedrock provider "${this.name}" needs a region (region: in the routing file, or AWS_REGION)`);
    this.authorization = resolveBedrockAuthorization({ apiKey: options.config.apiKey, profile: options.config.profile, environment: options.environment });
    this.endpoint = { provider: this.name, region, baseUrl: options.config.baseUrl ?? defaultBedrockBaseUrl(region), authorization: this.authorization, timeoutMs: options.config.timeoutMs };
  }

  /** Looks the credentials up once at start-up, so missing ones show in /health before the first request. */
  async checkCredentials(): Promise<void> {
    if (this.authorization.kind !== "sigv4") return;
    try {
      await this.authorization.credentials();
      this.credentialsProblem = undefined;
    } catch (error) {
      this.credentialsProblem = `no AWS credentials found: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  async *stream(request: RelayRequest, context: BackendContext): AsyncIterable<RelayEvent> {
    this.active++;
    try {
      if (this.modelOf(request.model).anthropic) yield* this.streamAnthropic(request, context);
      else yield* this.streamConverse(request, context);
    } finally {
      this.active--;
    }
  }

  private async *streamAnthropic(request: RelayRequest, context: BackendContext): AsyncIterable<RelayEvent> {
    const { body, warnings } = toAnthropicMessagesBody(request, { model: request.model, defaultMaxTokens: this.options.config.defaultMaxTokens });
    const prepared = this.prepareAnthropicBody(body, request.longContext ? ["context-1m-2025-08-07"] : [], request.model);
    const response = await callBedrock({ endpoint: this.endpoint, modelId: request.model, operation: "invoke-with-response-stream", body: JSON.stringify(prepared.body), signal: context.signal });
    const mapper = new AnthropicStreamMapper({ provider: this.name, requestedModel: request.model });
    let first = true;
    for await (const event of readBedrockEventStream(response.body!, this.streamOptions(request.model))) {
      if (event.eventType !== "chunk") continue;
      for (const relayEvent of mapper.map(JSON.parse(event.json))) {
        if (first && relayEvent.type === "stream-start") {
          first = false;
          yield withWarnings(relayEvent, [...warnings, ...prepared.warnings]);
        } else yield relayEvent;
      }
      if (mapper.finished) return;
    }
    throw incompleteResponseError();
  }

  private async *streamConverse(request: RelayRequest, context: BackendContext): AsyncIterable<RelayEvent> {
    const { body, warnings } = toBedrockConverseBody(request);
    const mapper = new ConverseStreamMapper(request.model);
    const operation = request.stream ? "converse-stream" : "converse";
    const response = await callBedrock({ endpoint: this.endpoint, modelId: request.model, operation, body: JSON.stringify(body), signal: context.signal });
    let first = true;
    const emit = function* (events: RelayEvent[]): Generator<RelayEvent> {
      for (const event of events) {
        if (first && event.type === "stream-start") {
          first = false;
          yield withWarnings(event, warnings);
        } else yield event;
      }
    };
    if (operation === "converse") {
      for (const [eventType, payload] of converseResponseAsStreamEvents((await response.json()) as Record<string, any>)) yield* emit(mapper.map(eventType, payload));
      return;
    }
    for await (const event of readBedrockEventStream(response.body!, this.streamOptions(request.model))) {
      yield* emit(mapper.map(event.eventType, JSON.parse(event.json)));
      if (mapper.finished) return;
    }
    yield* emit(mapper.end());
    if (!mapper.finished) throw incompleteResponseError();
  }

  /** Anthropic Messages clients on Claude models: the client's body, edited only as Bedrock requires. */
  supportsPassthrough(protocol: PassthroughProtocol, model: string): boolean {
    return protocol === "anthropic-messages" && this.modelOf(model).anthropic;
  }

  passthrough(request: PassthroughRequest, context: PassthroughContext): Promise<PassthroughResponse> {
    return this.forwardAnthropic(request, context);
  }

  private async forwardAnthropic(request: PassthroughRequest, context: PassthroughContext): Promise<PassthroughResponse> {
    const betas = request.headers.get("anthropic-beta") ? [request.headers.get("anthropic-beta")!] : [];
    const prepared = this.prepareAnthropicBody(request.parsed, betas, context.model);
    for (const warning of prepared.warnings) context.log.info("bedrock request adjusted", { parameter: warning.parameter, reason: warning.message });
    this.active++;
    let released = false;
    const release = () => {
      if (!released) this.active--;
      released = true;
    };
    try {
      const operation = request.stream ? "invoke-with-response-stream" : "invoke";
      const response = await callBedrock({ endpoint: this.endpoint, modelId: context.model, operation, body: JSON.stringify(prepared.body), signal: context.signal });
      const forwarded = forwardBedrockAnthropicAnswer({ response, stream: request.stream, provider: this.name, model: context.model, streamOptions: this.streamOptions(context.model), onEvent: context.onEvent, log: context.log });
      forwarded.completion.then(release, release);
      return forwarded;
    } catch (error) {
      release();
      throw error;
    }
  }

  private prepareAnthropicBody(body: Record<string, unknown>, betas: string[], modelId: string): { body: Record<string, unknown>; warnings: RelayWarning[] } {
    const prepared = prepareBedrockAnthropicBody({ body, betas, baseModelId: this.modelOf(modelId).baseModelId, allowedBetas: this.options.config.betas, anthropicVersion: this.options.config.anthropicVersion });
    const warnings: RelayWarning[] = [
      ...prepared.droppedBetas.map((beta) => ({ parameter: "anthropic-beta", message: `${beta} is not accepted by Bedrock for ${modelId}; it was not sent` })),
      ...prepared.droppedFields.map((field) => ({ parameter: field, message: `${field} is not accepted by Bedrock; it was not sent` })),
    ];
    if (prepared.movedCacheControl) warnings.push({ parameter: "cache_control", message: "Bedrock takes no top-level cache_control; it was moved onto the last content block" });
    return { body: prepared.body, warnings };
  }

  /** Which model an id runs (application inference profiles through the provider's `inference_profiles`). */
  private modelOf(modelId: string): ResolvedBedrockModel {
    const resolved = resolveBedrockModel(modelId, this.options.config.inferenceProfiles);
    if (resolved.opaque && !this.warnedOpaque.has(modelId)) {
      this.warnedOpaque.add(modelId);
      this.log?.warn("bedrock model id does not say which model it runs; using Converse", {
        provider: this.name,
        model: modelId,
        hint: "name the model under the provider's inference_profiles to use Claude's native Messages API",
      });
    }
    return resolved;
  }

  private streamOptions(modelId: string) {
    return { provider: this.name, modelId, region: this.endpoint.region };
  }

  async countTokens(request: RelayRequest): Promise<RelayTokenCount> {
    return { inputTokens: estimateRelayInputTokens(request), estimated: true };
  }

  async listModels(): Promise<RelayModel[]> {
    return (this.options.config.models ?? []).map((id) => ({ id, displayName: id, ownedBy: this.name }));
  }

  health(): BackendHealth {
    const details = {
      type: "bedrock",
      region: this.endpoint.region,
      endpoint: this.endpoint.baseUrl,
      credentials: describeBedrockAuthorization(this.authorization, this.options.config.profile),
    };
    return this.credentialsProblem ? { ok: false, reason: this.credentialsProblem, details } : { ok: true, details };
  }

  load(): BackendLoad {
    return { active: this.active, queued: 0 };
  }

  async shutdown(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < deadline) await Bun.sleep(20);
  }
}

function withWarnings(event: Extract<RelayEvent, { type: "stream-start" }>, warnings: RelayWarning[]): RelayEvent {
  return warnings.length > 0 ? { ...event, warnings: [...(event.warnings ?? []), ...warnings] } : event;
}
