/**
 * Turns the claude CLI's stream-json output into neutral relay events, one message at a time.
 * Quirks handled here (claude 2.1.197):
 * - one `assistant` message per content block, with stop_reason always null: real stop reasons come from
 *   the `message_delta` stream events and the `result`;
 * - a failed upstream stream is retried silently and shows up as a second `message_start` without a
 *   `message_delta` in between;
 * - `max_tokens` is auto-continued up to 3 times with an injected user message, so the relay finishes the
 *   answer itself at the first `max_tokens` and asks for an interrupt;
 * - API errors arrive as a synthetic assistant message and a `result` with `is_error`;
 * - the client's tools are MCP tools named `mcp__relay__<name>`: their calls end the answer with
 *   tool-calls while the CLI waits for the results (the run is then held);
 * - structured output arrives as a call of the CLI's own StructuredOutput tool and, validated, in
 *   `result.structured_output`; the model's prose around it is not part of the answer;
 * - the CLI's own tools (agent mode) run between two model calls: not part of the answer, each is reported
 *   as a `backend-tool-run` once its result line comes (claude-tool-runs.ts).
 */
import { mapAnthropicContentBlockType } from "../anthropic-wire/map-anthropic-content-block.ts";
import { mapAnthropicContentDelta } from "../anthropic-wire/map-anthropic-content-delta.ts";
import { mapAnthropicStopReason } from "../anthropic-wire/map-anthropic-stop-reason.ts";
import { mapAnthropicUsage } from "../anthropic-wire/map-anthropic-usage.ts";
import { RelayError } from "../../core/relay-error.ts";
import { emptyUsage, subtractRelayUsage, type RelayBackendEvent, type RelayEvent, type RelayUsage } from "../../core/relay-event.ts";
import type { ClaudeAssistantMessage, ClaudeOutputMessage, ClaudeResultMessage, ClaudeStreamEvent, ClaudeUsage } from "./claude-messages.ts";
import { ClaudeToolRuns } from "./claude-tool-runs.ts";
import type { ClientToolNames } from "./client-tool-names.ts";
import { mapClaudeResultError } from "./map-claude-error.ts";
import { newId } from "../../util/new-id.ts";

/** What the backend should do after a message: emit these events, maybe interrupt the CLI, maybe stop reading. */
export interface MapperStep {
  /** The answer's events, and reports of the tools the CLI ran itself. */
  events: RelayBackendEvent[];
  /** The answer is complete; the CLI must not run on (it would auto-continue). */
  interrupt?: boolean;
  /** The answer is complete. */
  done?: boolean;
  /** The answer ended with these client tool calls; the CLI waits for their results. */
  hold?: { callIds: string[] };
}

type BlockKind = "text" | "reasoning" | "tool" | "hidden";

/** A content block of the current upstream message; `started` once its start event went out. */
interface OpenBlock {
  kind: BlockKind;
  id: string;
  started: boolean;
  /** For client tool calls: whether any argument JSON was streamed. */
  hasInput?: boolean;
}

interface UpstreamMessage {
  id: string;
  model: string;
  /** Set by message_delta; a message_start while this is unset means the CLI retried a failed stream. */
  stopReason?: string | null;
  stopSequence?: string | null;
  blocks: Map<number, OpenBlock>;
  /** Ids of the client tool calls in this message. */
  clientCalls: string[];
}

export interface ClaudeOutputMapperOptions {
  /** The model the client asked for, used when the CLI never reports one. */
  requestedModel: string;
  /** Called for things worth a log line (retries, quirks). */
  onNotice?: (message: string, fields?: Record<string, unknown>) => void;
  /** The client's tools, when the model was offered any. */
  toolNames?: ClientToolNames;
  /** The answer is the validated structured output, not the model's prose. */
  structuredOutput?: boolean;
  /** Usage of this CLI turn already reported in earlier responses (before a tool round); not counted again. */
  reportedUsage?: RelayUsage;
  /** The clock for the durations of the CLI's own tool runs (performance.now() by default). */
  now?: () => number;
}

export class ClaudeOutputMapper {
  private started = false;
  private emittedContent = false;
  private finished = false;
  private cliModel: string | undefined;
  private current: UpstreamMessage | undefined;
  private lastCompleted: UpstreamMessage | undefined;
  private messageCount = 0;
  private readonly streamedMessageIds = new Set<string>();
  private syntheticError: string | undefined;
  private readonly streamUsage: RelayUsage = { ...emptyUsage };
  private readonly toolRuns: ClaudeToolRuns;

  constructor(private readonly options: ClaudeOutputMapperOptions) {
    this.toolRuns = new ClaudeToolRuns({ toolNames: options.toolNames, now: options.now });
  }

  /** True once a finish event was emitted. */
  get done(): boolean {
    return this.finished;
  }

  accept(message: ClaudeOutputMessage): MapperStep {
    if (this.finished) return { events: [] };
    switch (message.type) {
      case "system":
        if (message.subtype === "init" && message.model) this.cliModel = message.model;
        if (message.subtype === "api_retry") {
          this.options.onNotice?.("claude CLI retrying upstream request", {
            attempt: message.attempt,
            max_retries: message.max_retries,
            error_status: message.error_status,
            error: message.error,
          });
        }
        return { events: [] };
      case "stream_event":
        return this.acceptStreamEvent(message.event);
      case "assistant":
        if (message.message.model === "<synthetic>") {
          this.syntheticError = message.error;
          return { events: [] };
        }
        this.toolRuns.noteCalls(message);
        return { events: this.acceptUnstreamedAssistant(message.message) };
      case "result":
        return this.acceptResult(message);
      case "user":
        return { events: this.toolRuns.finishedBy(message) };
      case "control_request":
      case "control_response":
        return { events: [] };
      default:
        return { events: [] };
    }
  }

  private acceptStreamEvent(event: ClaudeStreamEvent): MapperStep {
    const events: RelayEvent[] = [];
    switch (event.type) {
      case "message_start": {
        if (this.current && this.current.stopReason === undefined) {
          // A second message_start without a message_delta: the CLI is retrying a stream that failed.
          if (this.emittedContent) {
            throw new RelayError("api_error", "The upstream stream failed after the answer had started; the partial answer cannot be resumed.", {
              status: 502,
              retryable: true,
              detail: `restarted upstream message ${event.message.id}`,
            });
          }
          this.options.onNotice?.("claude CLI restarted a failed upstream stream before any output");
        }
        this.current = { id: event.message.id, model: event.message.model, blocks: new Map(), clientCalls: [] };
        this.messageCount++;
        this.streamedMessageIds.add(event.message.id);
        addUsage(this.streamUsage, event.message.usage, { output: false });
        if (!this.started) {
          this.started = true;
          events.push({ type: "stream-start", id: event.message.id, model: event.message.model, usage: toRelayUsage(event.message.usage) });
        }
        return { events };
      }
      case "content_block_start": {
        const message = this.current;
        if (!message) return { events };
        const clientTool = event.content_block.type === "tool_use" ? this.options.toolNames?.clientName(event.content_block.name ?? "") : undefined;
        if (clientTool && event.content_block.id) {
          // Tool call ids are the upstream's own, so the client's results can be matched to the CLI's waiting calls.
          const toolCallId = event.content_block.id;
          message.blocks.set(event.index, { kind: "tool", id: toolCallId, started: true });
          message.clientCalls.push(toolCallId);
          this.emittedContent = true;
          events.push({ type: "tool-input-start", id: toolCallId, toolName: clientTool });
          return { events };
        }
        const id = `${this.messageCount}:${event.index}`;
        const kind = event.content_block.type === "text" && this.options.structuredOutput ? "hidden" : blockKind(event.content_block.type);
        const block: OpenBlock = { kind, id, started: false };
        message.blocks.set(event.index, block);
        // Blocks start with their first delta, so an attempt the CLI retries before any delta leaves no empty block behind.
        if (event.content_block.type === "redacted_thinking") {
          block.started = true;
          this.emittedContent = true;
          events.push({ type: "reasoning-start", id, providerMetadata: { anthropic: { redactedData: event.content_block.data ?? "" } } });
        }
        return { events };
      }
      case "content_block_delta": {
        const block = this.current?.blocks.get(event.index);
        if (!block || block.kind === "hidden") return { events };
        const { delta } = event;
        if (block.kind === "tool") {
          if (delta.type === "input_json_delta" && delta.partial_json) {
            block.hasInput = true;
            events.push({ type: "tool-input-delta", id: block.id, delta: delta.partial_json });
          }
          return { events };
        }
        // Argument JSON only belongs to tool blocks.
        if (delta.type !== "input_json_delta") events.push(...mapAnthropicContentDelta(delta, block.id));
        if (events.length === 0) return { events };
        this.emittedContent = true;
        if (!block.started) {
          block.started = true;
          events.unshift(block.kind === "text" ? { type: "text-start", id: block.id } : { type: "reasoning-start", id: block.id });
        }
        return { events };
      }
      case "content_block_stop": {
        const block = this.current?.blocks.get(event.index);
        if (!block) return { events };
        this.current!.blocks.delete(event.index);
        return { events: endEvents(block) };
      }
      case "message_delta": {
        if (!this.current) return { events };
        this.current.stopReason = event.delta.stop_reason ?? null;
        this.current.stopSequence = event.delta.stop_sequence ?? null;
        addUsage(this.streamUsage, event.usage, { output: true });
        if (event.delta.stop_reason === "max_tokens") {
          // The CLI would now auto-continue with an injected user message; the client asked for a limit.
          this.lastCompleted = this.current;
          events.push(...this.closeOpenBlocks(), this.finishEvent({ ...this.streamUsage }));
          return { events, interrupt: true, done: true };
        }
        if (event.delta.stop_reason === "tool_use" && this.current.clientCalls.length > 0) {
          // The CLI now calls the client's tools over MCP and waits: this answer ends with the calls.
          this.lastCompleted = this.current;
          events.push(...this.closeOpenBlocks(), this.finishEvent({ ...this.streamUsage }));
          return { events, done: true, hold: { callIds: [...this.current.clientCalls] } };
        }
        return { events };
      }
      case "message_stop":
        if (this.current?.stopReason !== undefined) this.lastCompleted = this.current;
        return { events: this.closeOpenBlocks() };
      default:
        return { events };
    }
  }

  /** An assistant message whose stream events never came (the CLI's non-streaming fallback). */
  private acceptUnstreamedAssistant(message: ClaudeAssistantMessage): RelayEvent[] {
    if (this.streamedMessageIds.has(message.id)) return [];
    if (this.current && this.current.stopReason === undefined && this.emittedContent) {
      throw new RelayError("api_error", "The upstream stream failed after the answer had started; the partial answer cannot be resumed.", {
        status: 502,
        retryable: true,
        detail: `non-streaming fallback message ${message.id}`,
      });
    }
    this.streamedMessageIds.add(message.id);
    this.messageCount++;
    const events: RelayEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({ type: "stream-start", id: message.id, model: message.model, usage: toRelayUsage(message.usage) });
    }
    this.current = { id: message.id, model: message.model, stopReason: null, blocks: new Map(), clientCalls: [] };
    message.content.forEach((block, index) => {
      const id = `${this.messageCount}:${index}`;
      if (block.type === "text" && block.text && !this.options.structuredOutput) {
        events.push({ type: "text-start", id }, { type: "text-delta", id, delta: block.text }, { type: "text-end", id });
      } else if (block.type === "thinking" || block.type === "redacted_thinking") {
        events.push({ type: "reasoning-start", id, ...(block.data === undefined ? {} : { providerMetadata: { anthropic: { redactedData: block.data } } }) });
        if (block.thinking) events.push({ type: "reasoning-delta", id, delta: block.thinking });
        if (block.signature) events.push({ type: "reasoning-delta", id, delta: "", providerMetadata: { anthropic: { signature: block.signature } } });
        events.push({ type: "reasoning-end", id });
      }
    });
    if (events.length > 0) this.emittedContent = true;
    return events;
  }

  private acceptResult(result: ClaudeResultMessage): MapperStep {
    if (result.is_error) throw mapClaudeResultError(result, this.syntheticError);
    const events: RelayEvent[] = [...this.closeOpenBlocks()];
    const turnUsage = toRelayUsage(result.usage);
    const usage = this.options.reportedUsage ? subtractRelayUsage(turnUsage, this.options.reportedUsage) : turnUsage;
    if (!this.started) {
      this.started = true;
      events.push({ type: "stream-start", id: result.session_id ? `msg_${result.session_id}` : newId("msg_"), model: this.modelName(), usage });
    }
    if (this.options.structuredOutput) {
      // The CLI reports success without structured_output when the model answers in prose twice.
      if (result.structured_output === undefined) {
        throw new RelayError("api_error", "The model did not produce the requested structured output.", { status: 502, code: "structured_output_missing", retryable: true });
      }
      const id = `${this.messageCount}:structured`;
      events.push({ type: "text-start", id }, { type: "text-delta", id, delta: JSON.stringify(result.structured_output) }, { type: "text-end", id });
    }
    events.push(this.finishEvent(usage, result.stop_reason));
    return { events, done: true };
  }

  private finishEvent(usage: RelayUsage, resultStopReason?: string | null): RelayEvent {
    this.finished = true;
    const last = this.lastCompleted ?? this.current;
    let stopReason = last?.stopReason ?? resultStopReason ?? null;
    // A turn that ended on a tool only the CLI saw (StructuredOutput, its own tools) ended for the client.
    if (stopReason === "tool_use" && !last?.clientCalls.length) stopReason = "end_turn";
    return {
      type: "finish",
      finishReason: mapAnthropicStopReason(stopReason, last?.stopSequence),
      usage,
      model: this.modelName(),
    };
  }

  private closeOpenBlocks(): RelayEvent[] {
    const events: RelayEvent[] = [];
    if (!this.current) return events;
    for (const block of this.current.blocks.values()) events.push(...endEvents(block));
    this.current.blocks.clear();
    return events;
  }

  /** The model that answered: the upstream's own name, else the CLI's (without its "[1m]" context tag). */
  private modelName(): string {
    const upstream = (this.lastCompleted ?? this.current)?.model;
    if (upstream && upstream !== "<synthetic>") return upstream;
    return this.cliModel?.replace(/\[[^\]]*\]$/, "") ?? this.options.requestedModel;
  }
}

function endEvents(block: OpenBlock): RelayEvent[] {
  if (!block.started) return [];
  if (block.kind === "text") return [{ type: "text-end", id: block.id }];
  if (block.kind === "reasoning") return [{ type: "reasoning-end", id: block.id }];
  if (block.kind === "tool") {
    // A call without arguments streams no JSON at all; its arguments are the empty object.
    const empty: RelayEvent[] = block.hasInput ? [] : [{ type: "tool-input-delta", id: block.id, delta: "{}" }];
    return [...empty, { type: "tool-input-end", id: block.id }];
  }
  return [];
}


function blockKind(type: string): BlockKind {
  const kind = mapAnthropicContentBlockType(type);
  // tool_use of the CLI's own tools (agent mode), server tools, and anything newer stay out of the client's answer.
  return kind === "text" || kind === "reasoning" ? kind : "hidden";
}

export const toRelayUsage = mapAnthropicUsage;

function addUsage(total: RelayUsage, usage: ClaudeUsage | undefined, options: { output: boolean }): void {
  if (!usage) return;
  if (options.output) {
    total.outputTokens += usage.output_tokens ?? 0;
    return;
  }
  total.inputTokens += usage.input_tokens ?? 0;
  total.cacheCreationInputTokens += usage.cache_creation_input_tokens ?? 0;
  total.cacheReadInputTokens += usage.cache_read_input_tokens ?? 0;
}
