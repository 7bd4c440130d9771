/**
 * The recording of one request while it runs: the client's request, each neutral event with its time
 * (consecutive deltas of one block merged), and at the end one entry for the writer. Cheap on the hot path:
 * events are appended; masking, folding and compaction happen when the entry is built, after the answer.
 */
import { requestPath } from "../server/request-guard.ts";
import { conversationFingerprints, requestSettingsKey } from "../core/conversation-fingerprint.ts";
import { foldRelayEvents } from "../core/fold-relay-events.ts";
import type { RelayError } from "../core/relay-error.ts";
import type { RelayBackendEvent, RelayEvent, RelayResponse } from "../core/relay-event.ts";
import type { RelayContentPart, RelayMessage, RelayRequest } from "../core/relay-request.ts";
import type { InspectorAgentToolRun, InspectorDetails, InspectorEntry, InspectorEvent, InspectorSummary } from "./inspector-record.ts";
import { maskSecrets, maskSecretsInJson, mayHoldSecret } from "./scrub-secrets.ts";

/** What the hub knows when a request starts. */
export interface RecordingStart {
  request: Request;
  requestId: string;
  route: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  relayRequest: RelayRequest;
  /** The Responses API id the answer will carry. */
  responseId?: string;
}

export interface RecordingOutcome {
  status: number;
  error?: RelayError;
}

export interface RecordingContext {
  headers: Record<string, string>;
  clientKeyHash: string | null;
  remoteAddress: string | null;
  body: unknown;
  bodyMaxBytes: number;
}

const deltaTypes = new Set(["text-delta", "reasoning-delta", "tool-input-delta"]);

export class RequestRecording {
  readonly id: string;
  readonly startedAtMs = Date.now();
  private readonly events: InspectorEvent[] = [];
  private firstTokenMs: number | undefined;
  /** Milliseconds from arrival to the end of the answer; the entry is built later, on the writer. */
  private durationMs: number | undefined;
  private streamStart: Record<string, unknown> | undefined;
  /** The tools the backend ran itself, without their inputs and results (those are in the events, a body). */
  private readonly agentToolRuns: InspectorAgentToolRun[] = [];

  constructor(readonly start: RecordingStart, private readonly context: RecordingContext) {
    this.id = start.requestId;
  }

  /** Milliseconds since the request arrived. */
  private elapsed(): number {
    return Math.round((performance.now() - this.start.startedAt) * 10) / 10;
  }

  event(event: RelayBackendEvent): void {
    const atMs = this.elapsed();
    if (event.type === "stream-start") this.streamStart = event as unknown as Record<string, unknown>;
    if (event.type === "backend-tool-run") {
      const { id, toolName: name, durationMs, isError, parentToolCallId } = event;
      // When the result came, not when the report was passed on (the router holds events until output starts).
      const finishedAtMs = Math.max(0, Math.round((atMs - (Date.now() - event.finishedAt)) * 10) / 10);
      this.agentToolRuns.push({ id, name, atMs: finishedAtMs, durationMs, isError, ...(parentToolCallId ? { parentToolCallId } : {}) });
    }
    if (this.firstTokenMs === undefined && (deltaTypes.has(event.type) || event.type === "tool-input-start" || event.type === "finish")) this.firstTokenMs = atMs;
    const last = this.events.at(-1);
    if (last && deltaTypes.has(event.type) && last.event.type === event.type && last.event.id === (event as { id: string }).id) {
      last.event.delta = `${last.event.delta as string}${(event as { delta: string }).delta}`;
      last.untilMs = atMs;
      last.count = (last.count ?? 1) + 1;
      return;
    }
    this.events.push({ atMs, event: { ...event } as Record<string, unknown> });
  }

  /** Notes the end of the request (its duration), before the entry is queued for the writer. */
  finished(): void {
    this.durationMs ??= this.elapsed();
  }

  /** A partial row for the live list. */
  liveSummary(): Partial<InspectorSummary> & { id: string } {
    return { ...this.baseSummary(), durationMs: this.elapsed(), ttftMs: this.firstTokenMs ?? null, status: 0 };
  }

  /** The entry to write; `withBodies` false keeps the metadata only. */
  async toEntry(outcome: RecordingOutcome, withBodies: boolean): Promise<InspectorEntry> {
    const response = await this.folded();
    const finish = this.events.findLast((item) => item.event.type === "finish")?.event as Extract<RelayEvent, { type: "finish" }> | undefined;
    const toolNames = response?.content.filter((part) => part.type === "tool-call").map((part) => (part as { name: string }).name) ?? [];
    const settings = requestSettingsKey(this.start.relayRequest);
    const messages = this.start.relayRequest.messages;
    const base = this.baseSummary();
    // A request with a session is grouped by it; only one without is grouped by the conversation it continues:
    // the turns before its trailing user turn(s), what the previous request held with its answer.
    const beforeLength = base.sessionId ? 0 : lengthBeforeLastUserTurn(messages);
    const fingerprints = conversationFingerprints(settings, response ? [...messages, assistantMessageOf(response)] : messages, beforeLength);
    const summary: InspectorEntry["summary"] = {
      ...base,
      durationMs: this.durationMs ?? this.elapsed(),
      ttftMs: this.firstTokenMs ?? null,
      status: outcome.status,
      errorKind: outcome.error ? outcome.error.kind : null,
      errorMessage: outcome.error ? maskSecrets(outcome.error.message) : null,
      responseModel: finish?.model || (this.streamStart?.model as string | undefined) || null,
      usage: finish ? { ...finish.usage, reasoningTokens: reasoningTokensOf(finish.usage) } : null,
      stopReason: finish ? (finish.finishReason.raw ?? finish.finishReason.unified) : null,
      toolNames: toolNames.length ? [...new Set(toolNames)].join(",") : null,
      agentToolNames: this.agentToolRuns.length ? [...new Set(this.agentToolRuns.map((run) => run.name))].join(",") : null,
      conversationId: fingerprints.whole,
    };
    const entry: InspectorEntry = {
      summary,
      details: this.details(),
      continuesConversation: beforeLength > 0 ? fingerprints.prefix : undefined,
    };
    if (withBodies) {
      const maxBytes = this.context.bodyMaxBytes;
      entry.bodies = {
        request: maskedJson(this.context.body ?? null, maxBytes, capJson),
        response: maskedJson(response ?? null, maxBytes, capJson),
        events: maskedJson(this.events.map((item) => capToolRunContents(item, maxBytes)), maxBytes, capEvents),
      };
    }
    return entry;
  }

  private baseSummary() {
    const { request, route, relayRequest } = this.start;
    const headers = request.headers;
    return {
      id: this.id,
      startedAt: this.startedAtMs,
      protocol: protocolOf(route),
      method: request.method,
      path: requestPath(request),
      stream: relayRequest.stream,
      errorKind: null,
      errorMessage: null,
      requestedModel: relayRequest.model,
      responseModel: null,
      provider: stringField(this.streamStart, "provider") ?? routeField(this.streamStart, "provider") ?? null,
      providerModel: stringField(this.streamStart, "providerModel") ?? routeField(this.streamStart, "model") ?? null,
      servedPath: servedPathOf(this.streamStart),
      clientKeyHash: this.context.clientKeyHash,
      userAgent: headers.get("user-agent"),
      remoteAddress: this.context.remoteAddress,
      sessionId: headers.get("x-claude-code-session-id"),
      agentId: headers.get("x-claude-code-agent-id"),
      parentAgentId: headers.get("x-claude-code-parent-agent-id"),
      conversationId: null,
      responseId: this.start.responseId ?? null,
      previousResponseId: previousResponseIdOf(this.context.body),
      usage: null,
      stopReason: null,
      toolNames: null,
      agentToolNames: null,
      preview: previewOf(relayRequest.messages),
    };
  }

  private details(): InspectorDetails {
    const relayRequest = this.start.relayRequest;
    const route = this.streamStart?.route as InspectorDetails["route"] | undefined;
    const served = this.streamStart?.served as InspectorDetails["served"];
    return {
      warnings: relayRequest.warnings,
      headers: this.context.headers,
      ...(route ? { route } : {}),
      ...(served ? { served } : {}),
      ...(this.agentToolRuns.length ? { agentToolRuns: this.agentToolRuns } : {}),
      settings: {
        stream: relayRequest.stream,
        maxOutputTokens: relayRequest.maxOutputTokens,
        thinking: relayRequest.thinking,
        effort: relayRequest.effort,
        toolChoice: relayRequest.toolChoice,
        tools: relayRequest.tools?.length ?? 0,
        temperature: relayRequest.temperature,
      },
    };
  }

  private async folded(): Promise<RelayResponse | undefined> {
    if (!this.events.some((item) => item.event.type === "finish")) return undefined;
    const events = this.events.map((item) => item.event as unknown as RelayEvent);
    return foldRelayEvents((async function* () {
      yield* events;
    })()).catch(() => undefined);
  }
}

function protocolOf(route: string): string {
  if (route.includes("chat/completions")) return "openai-chat";
  if (route.includes("responses")) return "openai-responses";
  if (route.includes("messages")) return "anthropic-messages";
  return route;
}

function stringField(source: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = source?.[name];
  return typeof value === "string" ? value : undefined;
}

function routeField(source: Record<string, unknown> | undefined, name: string): string | undefined {
  const route = source?.route;
  return route && typeof route === "object" ? stringField(route as Record<string, unknown>, name) : undefined;
}

function servedPathOf(source: Record<string, unknown> | undefined): string | null {
  const served = source?.served;
  if (typeof served === "string") return served;
  if (served && typeof served === "object") return stringField(served as Record<string, unknown>, "path") ?? null;
  return null;
}

function previousResponseIdOf(body: unknown): string | null {
  const value = body && typeof body === "object" ? (body as { previous_response_id?: unknown }).previous_response_id : undefined;
  return typeof value === "string" ? value : null;
}

/** Reasoning tokens are not reported separately by the backends we have; the field stays for those that do. */
function reasoningTokensOf(usage: object): number | null {
  const value = (usage as { reasoningTokens?: unknown }).reasoningTokens;
  return typeof value === "number" ? value : null;
}

function previewOf(messages: RelayMessage[]): string | null {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message.role !== "user") continue;
    const text = message.content.map((part) => (part.type === "text" ? part.text : "")).join(" ").replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, "").trim();
    if (text) return maskSecrets(text.length > 240 ? `${text.slice(0, 240)}…` : text);
    if (message.content.some((part) => part.type === "tool-result")) return "[tool results]";
  }
  return null;
}

function assistantMessageOf(response: RelayResponse): RelayMessage {
  return {
    role: "assistant",
    content: response.content.flatMap((part): RelayContentPart[] => {
      if (part.type === "text") return [{ type: "text", text: part.text }];
      if (part.type === "tool-call") return [{ type: "tool-call", id: part.id, name: part.name, input: parseJsonOr(part.input, {}) }];
      return [];
    }),
  };
}

function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return text ? JSON.parse(text) : fallback;
  } catch {
    return fallback;
  }
}

/** How many messages come before the trailing user turn(s). */
function lengthBeforeLastUserTurn(messages: RelayMessage[]): number {
  let end = messages.length;
  while (end > 0 && messages[end - 1].role === "user") end--;
  return end;
}

/**
 * A body for the log: secrets masked, then capped. One serialisation answers both questions for most bodies,
 * which hold no key-shaped text and fit the cap: they are kept as they are, without a masked copy.
 */
function maskedJson<T>(value: T, maxBytes: number, cap: (value: T, maxBytes: number, text?: string) => T): T {
  const text = JSON.stringify(value) ?? "null";
  if (mayHoldSecret(text)) return cap(maskSecretsInJson(value), maxBytes);
  if (text.length > maxBytes) return cap(value, maxBytes, text);
  if (value !== null && typeof value === "object") serializedBodies.set(value, text);
  return value;
}

/** The JSON text of bodies kept as they were, from the check above: the entry crosses to the writer thread without serialising them again. */
const serializedBodies = new WeakMap<object, string>();

/**
 * An entry as JSON text, reusing the text of its bodies where the masking check made it already (on a long agent
 * conversation the body is most of the entry).
 */
export function entryJson(entry: InspectorEntry): string {
  const { bodies, ...rest } = entry;
  if (!bodies) return JSON.stringify(entry);
  const body = (value: unknown) => (value !== null && typeof value === "object" && serializedBodies.get(value)) || JSON.stringify(value ?? null);
  return `${JSON.stringify(rest).slice(0, -1)},"bodies":{"request":${body(bodies.request)},"response":${body(bodies.response)},"events":${body(bodies.events)}}}`;
}

/**
 * A body over the cap: long strings are cut, largest first, each with a marker saying how much went. `original`
 * is the value's JSON text when the caller has it already.
 */
export function capJson(value: unknown, maxBytes: number, original: string = JSON.stringify(value) ?? "null"): unknown {
  if (original.length <= maxBytes) return value;
  let text = original;
  let limit = Math.max(256, Math.floor(maxBytes / 8));
  let capped = value;
  while (text.length > maxBytes && limit >= 64) {
    capped = cutStrings(value, limit);
    text = JSON.stringify(capped);
    limit = Math.floor(limit / 2);
  }
  if (text.length > maxBytes) return { truncated: true, originalBytes: original.length, note: `[truncated: body over ${maxBytes} bytes]` };
  return capped;
}

function cutStrings(value: unknown, limit: number): unknown {
  if (typeof value === "string") return value.length > limit ? `${value.slice(0, limit)}…[truncated ${value.length - limit} characters]` : value;
  if (Array.isArray(value)) return value.map((item) => cutStrings(item, limit));
  if (!value || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cutStrings(item, limit)]));
}

/** A tool run's input and result get an eighth of the body cap each: one large file read does not push the rest of the timeline out. */
function capToolRunContents(item: InspectorEvent, maxBytes: number): InspectorEvent {
  if (item.event.type !== "backend-tool-run") return item;
  const share = Math.floor(maxBytes / 8);
  return { ...item, event: { ...item.event, input: capJson(item.event.input, share), result: capJson(item.event.result, share) } };
}

function capEvents(events: InspectorEvent[], maxBytes: number): InspectorEvent[] {
  let total = 0;
  const kept: InspectorEvent[] = [];
  for (const [index, item] of events.entries()) {
    total += JSON.stringify(item).length;
    if (total > maxBytes) {
      kept.push({ atMs: item.atMs, event: { type: "truncated", note: `[truncated: ${events.length - index} more events over ${maxBytes} bytes]` } });
      break;
    }
    kept.push(item);
  }
  return kept;
}
