/**
 * One OpenTelemetry span per request, following the GenAI semantic conventions, from the hub like the
 * inspector's recorder: `chat {model}` with the request and response model, provider, usage (input tokens as
 * the inclusive total, cache read and cache creation apart), finish reasons, time to first chunk and the
 * conversation id, and how the backend served it (`agent_relay.served_path`); a child span per client tool call
 * the answer made and per tool the backend ran itself (`execute_tool {name}`), and per fallback the router
 * tried. Message contents and tool arguments and results only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.
 */
import { randomBytes } from "node:crypto";
import { conversationFingerprint, requestSettingsKey } from "../core/conversation-fingerprint.ts";
import type { RelayError } from "../core/relay-error.ts";
import type { RelayBackendToolRun, RelayEvent } from "../core/relay-event.ts";
import type { RelayRequest } from "../core/relay-request.ts";
import type { RelayRequestObserver } from "../server/serve-relay-request.ts";
import { attribute, type OtlpAttribute, type OtlpExporter, type OtlpSpan } from "./otlp-exporter.ts";

type Observation = NonNullable<ReturnType<RelayRequestObserver["observe"]>>;

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
/** Nanoseconds since the epoch, as OTLP's string-encoded uint64, from a performance.now() reading. */
const nanos = (performanceMs: number) => (BigInt(Math.round((performance.timeOrigin + performanceMs) * 1000)) * 1000n).toString();

export class GenAITelemetry implements RelayRequestObserver {
  constructor(private readonly exporter: OtlpExporter, private readonly defaultProvider = "anthropic") {}

  observe(start: { request: Request; requestId: string; route: string; startedAt: number; relayRequest: RelayRequest; responseId?: string }): Observation {
    const traceId = traceIdFrom(start.request.headers.get("traceparent")) ?? hex(16);
    const parentSpanId = spanIdFrom(start.request.headers.get("traceparent"));
    const spanId = hex(8);
    let firstChunkAt: number | undefined;
    let streamStart: Record<string, unknown> | undefined;
    let finish: Extract<RelayEvent, { type: "finish" }> | undefined;
    const tools = new Map<string, { name: string; startedAt: number; endedAt?: number; input: string }>();
    const texts: string[] = [];
    const backendToolRuns: Array<{ run: RelayBackendToolRun; endedAt: number }> = [];
    return {
      event: (event) => {
        const now = performance.now();
        if (firstChunkAt === undefined && (event.type === "text-delta" || event.type === "reasoning-delta" || event.type === "tool-input-start")) firstChunkAt = now;
        switch (event.type) {
          case "stream-start":
            streamStart = event as unknown as Record<string, unknown>;
            break;
          case "tool-input-start":
            tools.set(event.id, { name: event.toolName, startedAt: now, input: "" });
            break;
          case "tool-input-delta": {
            const tool = tools.get(event.id);
            if (tool) tool.input += event.delta;
            break;
          }
          case "tool-input-end": {
            const tool = tools.get(event.id);
            if (tool) tool.endedAt = now;
            break;
          }
          case "text-delta":
            texts.push(event.delta);
            break;
          case "finish":
            finish = event;
            break;
          case "backend-tool-run":
            // Timed by when the result came, not when the report was passed on (the router holds events until output starts).
            backendToolRuns.push({ run: event, endedAt: now - Math.max(0, Date.now() - event.finishedAt) });
            break;
          default:
            break;
        }
      },
      finish: ({ status, error }: { status: number; error?: RelayError }) => {
        const end = performance.now();
        const request = start.relayRequest;
        const provider = semanticProviderName(stringOf((streamStart?.route as Record<string, unknown> | undefined)?.providerType)) ?? this.defaultProvider;
        const attributes: OtlpAttribute[] = [
          attribute("gen_ai.operation.name", "chat"),
          attribute("gen_ai.provider.name", provider),
          attribute("gen_ai.request.model", request.model),
          // Claude Code's session id when it sent one, else a hash of the conversation's first turn (the same for every turn).
          attribute("gen_ai.conversation.id", start.request.headers.get("x-claude-code-session-id") ?? conversationFingerprint(requestSettingsKey(request), request.messages.slice(0, 1))),
          attribute("http.request.method", start.request.method),
          attribute("url.path", start.route),
          attribute("http.response.status_code", status),
          attribute("agent_relay.request_id", start.requestId),
        ];
        if (request.maxOutputTokens !== undefined) attributes.push(attribute("gen_ai.request.max_tokens", request.maxOutputTokens));
        if (request.temperature !== undefined) attributes.push(attribute("gen_ai.request.temperature", request.temperature));
        if (request.topP !== undefined) attributes.push(attribute("gen_ai.request.top_p", request.topP));
        if (start.responseId) attributes.push(attribute("gen_ai.response.id", start.responseId));
        const servedPath = stringOf((streamStart?.served as Record<string, unknown> | undefined)?.path);
        if (servedPath) attributes.push(attribute("agent_relay.served_path", servedPath));
        if (finish) {
          const usage = finish.usage;
          attributes.push(
            attribute("gen_ai.response.model", finish.model || stringOf(streamStart?.model) || request.model),
            attribute("gen_ai.usage.input_tokens", usage.inputTokens + usage.cacheReadInputTokens + usage.cacheCreationInputTokens),
            attribute("gen_ai.usage.output_tokens", usage.outputTokens),
            attribute("gen_ai.usage.cache_read.input_tokens", usage.cacheReadInputTokens),
            attribute("gen_ai.usage.cache_creation.input_tokens", usage.cacheCreationInputTokens),
            attribute("gen_ai.response.finish_reasons", [finish.finishReason.raw ?? finish.finishReason.unified]),
          );
        }
        if (firstChunkAt !== undefined) attributes.push(attribute("gen_ai.response.time_to_first_chunk", (firstChunkAt - start.startedAt) / 1000));
        if (this.exporter.config.captureContent) {
          if (request.system) attributes.push(attribute("gen_ai.system_instructions", JSON.stringify([{ type: "text", content: request.system }])));
          attributes.push(attribute("gen_ai.input.messages", JSON.stringify(inputMessages(request))));
          attributes.push(attribute("gen_ai.output.messages", JSON.stringify(outputMessages(texts.join(""), tools, finish))));
        }
        const failed = error !== undefined && status !== 499;
        if (failed) attributes.push(attribute("error.type", error.code ?? error.kind));
        const spans: OtlpSpan[] = [
          {
            traceId, spanId, ...(parentSpanId ? { parentSpanId } : {}), name: `chat ${request.model}`, kind: 2,
            startTimeUnixNano: nanos(start.startedAt), endTimeUnixNano: nanos(end), attributes,
            ...(failed ? { status: { code: 2, message: error.message } } : {}),
          },
        ];
        for (const [id, tool] of tools) {
          spans.push({
            traceId, spanId: hex(8), parentSpanId: spanId, name: `execute_tool ${tool.name}`, kind: 1,
            startTimeUnixNano: nanos(tool.startedAt), endTimeUnixNano: nanos(tool.endedAt ?? end),
            attributes: [
              attribute("gen_ai.operation.name", "execute_tool"),
              attribute("gen_ai.tool.name", tool.name),
              attribute("gen_ai.tool.call.id", id),
              attribute("gen_ai.tool.type", "function"),
              ...(this.exporter.config.captureContent ? [attribute("gen_ai.tool.call.arguments", tool.input)] : []),
            ],
          });
        }
        spans.push(...backendToolRuns.map(({ run, endedAt }) => this.backendToolRunSpan(run, { traceId, parentSpanId: spanId, endedAt })));
        const fallbacks = ((streamStart?.route as { fallbacks?: Array<{ target: string; reason: string }> } | undefined)?.fallbacks ?? []).map((fallback) => ({
          provider: fallback.target.split("/")[0],
          model: fallback.target.split("/").slice(1).join("/") || undefined,
          reason: fallback.reason,
        }));
        for (const fallback of fallbacks) {
          spans.push({
            traceId, spanId: hex(8), parentSpanId: spanId, name: `chat ${fallback.model ?? request.model}`, kind: 3,
            startTimeUnixNano: nanos(start.startedAt), endTimeUnixNano: nanos(firstChunkAt ?? end),
            // The fallback's provider type is not in the route: its configured name is the relay's own attribute.
            attributes: [attribute("gen_ai.operation.name", "chat"), attribute("agent_relay.provider", fallback.provider), attribute("error.type", fallback.reason)],
            status: { code: 2, message: fallback.reason },
          });
        }
        this.exporter.add(spans);
      },
    };
  }

  /**
   * A tool the backend ran itself (the claude CLI's own Read, Bash, ...): an agent-side tool, so its type is
   * "extension" in the conventions' terms; it ended when its result was reported.
   */
  private backendToolRunSpan(run: RelayBackendToolRun, span: { traceId: string; parentSpanId: string; endedAt: number }): OtlpSpan {
    const captureContent = this.exporter.config.captureContent;
    return {
      traceId: span.traceId, spanId: hex(8), parentSpanId: span.parentSpanId, name: `execute_tool ${run.toolName}`, kind: 1,
      startTimeUnixNano: nanos(span.endedAt - run.durationMs), endTimeUnixNano: nanos(span.endedAt),
      attributes: [
        attribute("gen_ai.operation.name", "execute_tool"),
        attribute("gen_ai.tool.name", run.toolName),
        attribute("gen_ai.tool.call.id", run.id),
        attribute("gen_ai.tool.type", "extension"),
        ...(run.isError ? [attribute("error.type", "tool_error")] : []),
        ...(captureContent ? [attribute("gen_ai.tool.call.arguments", contentText(run.input)), attribute("gen_ai.tool.call.result", contentText(run.result))] : []),
      ],
      ...(run.isError ? { status: { code: 2, message: "the tool reported an error" } } : {}),
    };
  }
}

/** The attribute values the conventions allow: strings, numbers, booleans, arrays; anything else as JSON. */
function contentText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value ?? null);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

/** A W3C traceparent's trace id, so a client's trace continues through the relay. */
function traceIdFrom(traceparent: string | null): string | undefined {
  const match = traceparent && /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent.trim());
  return match && !/^0+$/.test(match[1]) ? match[1] : undefined;
}

function spanIdFrom(traceparent: string | null): string | undefined {
  const match = traceparent && /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent.trim());
  return match ? match[2] : undefined;
}

/** The conventions' input message shape: role and parts (text, tool_call, tool_call_response). */
function inputMessages(request: RelayRequest) {
  return request.messages.map((message) => ({
    role: message.role,
    parts: message.content.map((part) => {
      switch (part.type) {
        case "text":
          return { type: "text", content: part.text };
        case "tool-call":
          return { type: "tool_call", id: part.id, name: part.name, arguments: part.input };
        case "tool-result":
          return { type: "tool_call_response", id: part.toolCallId, response: part.content.map((item) => (item.type === "text" ? item.text : `[${item.type}]`)).join("") };
        case "reasoning":
          return { type: "reasoning", content: part.text };
        default:
          return { type: part.type };
      }
    }),
  }));
}

function outputMessages(text: string, tools: Map<string, { name: string; input: string }>, finish: Extract<RelayEvent, { type: "finish" }> | undefined) {
  const parts: unknown[] = text ? [{ type: "text", content: text }] : [];
  for (const [id, tool] of tools) parts.push({ type: "tool_call", id, name: tool.name, arguments: tool.input });
  return [{ role: "assistant", parts, finish_reason: finish ? (finish.finishReason.raw ?? finish.finishReason.unified) : "error" }];
}

/** Observers of the hub in turn (the inspector's recorder and telemetry); absent ones are skipped. */
export function combineRequestObservers(observers: Array<RelayRequestObserver | undefined>): RelayRequestObserver | undefined {
  const present = observers.filter((observer): observer is RelayRequestObserver => observer !== undefined);
  if (present.length <= 1) return present[0];
  return {
    observe(start) {
      const observations = present.map((observer) => observer.observe(start)).filter((observation) => observation !== undefined);
      if (observations.length === 0) return undefined;
      return {
        event: (event) => observations.forEach((observation) => observation.event(event)),
        finish: (outcome) => observations.forEach((observation) => observation.finish(outcome)),
      };
    },
  };
}

/** The GenAI semantic conventions' provider name for a provider type (the configured name stays in the route). */
function semanticProviderName(providerType: string | undefined): string | undefined {
  switch (providerType) {
    case "claude-cli":
    case "anthropic":
      return "anthropic";
    case "openai":
      return "openai";
    case "bedrock":
      return "aws.bedrock";
    default:
      return undefined;
  }
}
