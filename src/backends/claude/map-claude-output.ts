/**
 * Turns the claude CLI's stream-json output into neutral relay events, one message at a time.
 * Quirks handled here (claude 2.1.197):
 * - one `assistant` message per content block, with stop_reason always null: real stop reasons come from
 *   the `message_delta` stream events and the `result`;
 * - a failed upstream stream is retried silently and shows up as a second `message_start` without a
 *   `message_delta` in between;
 * - `max_tokens` is auto-continued up to 3 times with an injected user message, so the relay finishes the
 *   answer itself at the first `max_tokens` and asks for an interrupt;
 * - API errors arrive as a synthetic assistant message and a `result` with `is_error`.
 */
import { mapAnthropicStopReason } from "../../core/map-anthropic-stop-reason.ts";
import { RelayError } from "../../core/relay-error.ts";
import { emptyUsage, type RelayEvent, type RelayUsage } from "../../core/relay-event.ts";
import type { ClaudeAssistantMessage, ClaudeOutputMessage, ClaudeResultMessage, ClaudeStreamEvent, ClaudeUsage } from "./claude-messages.ts";
import { mapClaudeResultError } from "./map-claude-error.ts";

/** What the backend should do after a message: emit these events, maybe interrupt the CLI, maybe stop reading. */
export interface MapperStep {
  events: RelayEvent[];
  /** The answer is complete; the CLI must not run on (it would auto-continue). */
  interrupt?: boolean;
  /** The answer is complete. */
  done?: boolean;
}

type BlockKind = "text" | "reasoning" | "hidden";

/** A content block of the current upstream message; `started` once its start event went out. */
interface OpenBlock {
  kind: BlockKind;
  id: string;
  started: boolean;
}

interface UpstreamMessage {
  id: string;
  model: string;
  /** Set by message_delta; a message_start while this is unset means the CLI retried a failed stream. */
  stopReason?: string | null;
  stopSequence?: string | null;
  blocks: Map<number, OpenBlock>;
}

export interface ClaudeOutputMapperOptions {
  /** The model the client asked for, used when the CLI never reports one. */
  requestedModel: string;
  /** Called for things worth a log line (retries, quirks). */
  onNotice?: (message: string, fields?: Record<string, unknown>) => void;
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

  constructor(private readonly options: ClaudeOutputMapperOptions) {}

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
        return { events: this.acceptUnstreamedAssistant(message.message) };
      case "result":
        return this.acceptResult(message);
      case "user":
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
        this.current = { id: event.message.id, model: event.message.model, blocks: new Map() };
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
        const id = `${this.messageCount}:${event.index}`;
        const kind = blockKind(event.content_block.type);
        const block: OpenBlock = { kind, id, started: false };
        message.blocks.set(event.index, block);
        // Blocks start with their first delta, so an attempt the CLI retries before any delta leaves no empty block behind.
        if (event.content_block.type === "redacted_thinking") {
          block.started = true;
          this.emittedContent = true;
          events.push({ type: "reasoning-start", id, redactedData: event.content_block.data ?? "" });
        }
        return { events };
      }
      case "content_block_delta": {
        const block = this.current?.blocks.get(event.index);
        if (!block || block.kind === "hidden") return { events };
        const { delta } = event;
        if (delta.type === "text_delta" && delta.text) events.push({ type: "text-delta", id: block.id, delta: delta.text });
        if (delta.type === "thinking_delta" && delta.thinking) events.push({ type: "reasoning-delta", id: block.id, delta: delta.thinking });
        if (delta.type === "signature_delta" && delta.signature) events.push({ type: "reasoning-signature", id: block.id, signature: delta.signature });
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
    this.current = { id: message.id, model: message.model, stopReason: null, blocks: new Map() };
    message.content.forEach((block, index) => {
      const id = `${this.messageCount}:${index}`;
      if (block.type === "text" && block.text) {
        events.push({ type: "text-start", id }, { type: "text-delta", id, delta: block.text }, { type: "text-end", id });
      } else if (block.type === "thinking" || block.type === "redacted_thinking") {
        events.push({ type: "reasoning-start", id, redactedData: block.data });
        if (block.thinking) events.push({ type: "reasoning-delta", id, delta: block.thinking });
        if (block.signature) events.push({ type: "reasoning-signature", id, signature: block.signature });
        events.push({ type: "reasoning-end", id });
      }
    });
    if (events.length > 0) this.emittedContent = true;
    return events;
  }

  private acceptResult(result: ClaudeResultMessage): MapperStep {
    if (result.is_error) throw mapClaudeResultError(result, this.syntheticError);
    const events: RelayEvent[] = [...this.closeOpenBlocks()];
    if (!this.started) {
      this.started = true;
      events.push({ type: "stream-start", id: `msg_${result.session_id ?? crypto.randomUUID()}`, model: this.modelName(), usage: toRelayUsage(result.usage) });
    }
    events.push(this.finishEvent(toRelayUsage(result.usage), result.stop_reason));
    return { events, done: true };
  }

  private finishEvent(usage: RelayUsage, resultStopReason?: string | null): RelayEvent {
    this.finished = true;
    const last = this.lastCompleted ?? this.current;
    const stopReason = last?.stopReason ?? resultStopReason ?? null;
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
  return [];
}

function blockKind(type: string): BlockKind {
  if (type === "text") return "text";
  if (type === "thinking" || type === "redacted_thinking") return "reasoning";
  // tool_use of the CLI's own tools (agent mode), server tools, and anything newer stay out of the client's answer.
  return "hidden";
}

export function toRelayUsage(usage: ClaudeUsage | undefined): RelayUsage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheCreationInputTokens: usage?.cache_creation_input_tokens ?? 0,
    cacheReadInputTokens: usage?.cache_read_input_tokens ?? 0,
  };
}

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
