/**
 * Anthropic Messages stream events (from the Anthropic API, a gateway or Claude on Bedrock) as neutral
 * events, one upstream event at a time. A complete (non-streaming) message goes through the same mapper
 * as the events it stands for. Blocks without a neutral form (server tool calls and their results) are
 * passed over; an `error` event is thrown as a RelayError at that point of the stream.
 */
import type { RelayEvent, RelayUsage } from "../../core/relay-event.ts";
import { mapAnthropicError } from "./map-anthropic-error.ts";
import { mapAnthropicStopReason } from "./map-anthropic-stop-reason.ts";

/** One Anthropic stream event, as parsed JSON. */
export type AnthropicStreamEvent = { type: string } & Record<string, any>;

type BlockKind = "text" | "reasoning" | "tool" | "hidden";

export interface AnthropicStreamMapperOptions {
  /** The model to report when the upstream names none. */
  requestedModel: string;
  provider: string;
}

export class AnthropicStreamMapper {
  private readonly blocks = new Map<number, { kind: BlockKind; id: string }>();
  private messageId = "";
  private model: string;
  private usage: RelayUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  private stopReason: string | null = null;
  private stopSequence: string | null = null;
  private started = false;
  /** True once message_stop was mapped: the answer is complete. */
  finished = false;

  constructor(private readonly options: AnthropicStreamMapperOptions) {
    this.model = options.requestedModel;
  }

  map(event: AnthropicStreamEvent): RelayEvent[] {
    switch (event.type) {
      case "message_start":
        return this.onMessageStart(event.message ?? {});
      case "content_block_start":
        return this.onBlockStart(Number(event.index), event.content_block ?? {});
      case "content_block_delta":
        return this.onBlockDelta(Number(event.index), event.delta ?? {});
      case "content_block_stop":
        return this.onBlockStop(Number(event.index));
      case "message_delta":
        this.stopReason = event.delta?.stop_reason ?? this.stopReason;
        this.stopSequence = event.delta?.stop_sequence ?? this.stopSequence;
        this.takeUsage(event.usage);
        return [];
      case "message_stop":
        this.finished = true;
        return [...this.ensureStarted(), { type: "finish", finishReason: mapAnthropicStopReason(this.stopReason, this.stopSequence), usage: this.usage, model: this.model }];
      case "error":
        throw mapAnthropicError({ type: event.error?.type, message: String(event.error?.message ?? "upstream stream error"), provider: this.options.provider });
      default:
        // ping, and event types newer than this code: nothing to render.
        return [];
    }
  }

  /** The usage seen so far (input from message_start, output from message_delta). */
  currentUsage(): RelayUsage {
    return this.usage;
  }

  private onMessageStart(message: Record<string, any>): RelayEvent[] {
    this.messageId = String(message.id ?? "");
    this.model = String(message.model ?? this.model);
    this.takeUsage(message.usage);
    this.started = true;
    return [{ type: "stream-start", id: this.messageId, model: this.model, usage: this.usage }];
  }

  private ensureStarted(): RelayEvent[] {
    if (this.started) return [];
    this.started = true;
    return [{ type: "stream-start", id: this.messageId, model: this.model, usage: this.usage }];
  }

  private onBlockStart(index: number, block: Record<string, any>): RelayEvent[] {
    const events = this.ensureStarted();
    const id = `${this.messageId}:${index}`;
    switch (block.type) {
      case "text":
        this.blocks.set(index, { kind: "text", id });
        events.push({ type: "text-start", id });
        if (block.text) events.push({ type: "text-delta", id, delta: String(block.text) });
        return events;
      case "thinking":
        this.blocks.set(index, { kind: "reasoning", id });
        events.push({ type: "reasoning-start", id });
        if (block.thinking) events.push({ type: "reasoning-delta", id, delta: String(block.thinking) });
        if (block.signature) events.push({ type: "reasoning-delta", id, delta: "", providerMetadata: { anthropic: { signature: String(block.signature) } } });
        return events;
      case "redacted_thinking":
        this.blocks.set(index, { kind: "reasoning", id });
        events.push({ type: "reasoning-start", id, providerMetadata: { anthropic: { redactedData: String(block.data ?? "") } } });
        return events;
      case "tool_use": {
        const callId = String(block.id);
        this.blocks.set(index, { kind: "tool", id: callId });
        events.push({ type: "tool-input-start", id: callId, toolName: String(block.name) });
        if (block.input && typeof block.input === "object" && Object.keys(block.input).length > 0) {
          events.push({ type: "tool-input-delta", id: callId, delta: JSON.stringify(block.input) });
        }
        return events;
      }
      default:
        this.blocks.set(index, { kind: "hidden", id });
        return events;
    }
  }

  private onBlockDelta(index: number, delta: Record<string, any>): RelayEvent[] {
    const block = this.blocks.get(index);
    if (!block) return [];
    switch (delta.type) {
      case "text_delta":
        return block.kind === "text" ? [{ type: "text-delta", id: block.id, delta: String(delta.text ?? "") }] : [];
      case "thinking_delta":
        return block.kind === "reasoning" ? [{ type: "reasoning-delta", id: block.id, delta: String(delta.thinking ?? "") }] : [];
      case "signature_delta":
        return block.kind === "reasoning" ? [{ type: "reasoning-delta", id: block.id, delta: "", providerMetadata: { anthropic: { signature: String(delta.signature ?? "") } } }] : [];
      case "input_json_delta":
        return block.kind === "tool" && delta.partial_json ? [{ type: "tool-input-delta", id: block.id, delta: String(delta.partial_json) }] : [];
      default:
        return [];
    }
  }

  private onBlockStop(index: number): RelayEvent[] {
    const block = this.blocks.get(index);
    if (!block) return [];
    switch (block.kind) {
      case "text":
        return [{ type: "text-end", id: block.id }];
      case "reasoning":
        return [{ type: "reasoning-end", id: block.id }];
      case "tool":
        return [{ type: "tool-input-end", id: block.id }];
      case "hidden":
        return [];
      default: {
        const unreachable: never = block.kind;
        return unreachable;
      }
    }
  }

  /** Usage fields are cumulative where present; absent fields keep their earlier value. */
  private takeUsage(usage: Record<string, any> | undefined): void {
    if (!usage) return;
    const next: RelayUsage = { ...this.usage };
    if (typeof usage.input_tokens === "number") next.inputTokens = usage.input_tokens;
    if (typeof usage.output_tokens === "number") next.outputTokens = usage.output_tokens;
    if (typeof usage.cache_creation_input_tokens === "number") next.cacheCreationInputTokens = usage.cache_creation_input_tokens;
    if (typeof usage.cache_read_input_tokens === "number") next.cacheReadInputTokens = usage.cache_read_input_tokens;
    const thinkingTokens = usage.output_tokens_details?.thinking_tokens;
    if (typeof thinkingTokens === "number") next.reasoningTokens = thinkingTokens;
    this.usage = next;
  }
}

/** The stream events a complete Messages API response stands for, so one mapper serves both shapes. */
export function anthropicMessageAsStreamEvents(message: Record<string, any>): AnthropicStreamEvent[] {
  const content = Array.isArray(message.content) ? (message.content as Array<Record<string, any>>) : [];
  const events: AnthropicStreamEvent[] = [{ type: "message_start", message: { ...message, content: [] } }];
  content.forEach((block, index) => {
    events.push({ type: "content_block_start", index, content_block: block });
    events.push({ type: "content_block_stop", index });
  });
  events.push({ type: "message_delta", delta: { stop_reason: message.stop_reason ?? null, stop_sequence: message.stop_sequence ?? null }, usage: message.usage ?? {} });
  events.push({ type: "message_stop" });
  return events;
}

