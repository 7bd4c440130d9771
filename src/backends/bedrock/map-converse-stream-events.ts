/**
 * Bedrock ConverseStream events (and a complete Converse answer) as neutral events. Text and reasoning blocks
 * have no start event in Converse: the first delta of an index opens them. The finish event waits for the
 * `metadata` event, which carries the usage and comes after `messageStop`.
 */
import type { RelayEvent, RelayFinishReason, RelayUsage } from "../../core/relay-event.ts";
import { newId } from "../../util/new-id.ts";

type BlockKind = "text" | "reasoning" | "tool";

export function mapConverseStopReason(raw: string | null | undefined): RelayFinishReason {
  switch (raw) {
    case "end_turn":
      return { unified: "stop", raw };
    case "stop_sequence":
      return { unified: "stop-sequence", raw, stopSequence: null };
    case "max_tokens":
    case "model_context_window_exceeded":
      return { unified: "length", raw };
    case "tool_use":
      return { unified: "tool-calls", raw };
    case "guardrail_intervened":
    case "content_filtered":
      return { unified: "content-filter", raw };
    default:
      return { unified: "other", raw: raw ?? null };
  }
}

export class ConverseStreamMapper {
  private readonly blocks = new Map<number, { kind: BlockKind; id: string }>();
  private readonly messageId = newId("msg_bedrock_");
  private stopReason: string | null = null;
  private usage: RelayUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  private started = false;
  finished = false;

  constructor(private readonly model: string) {}

  map(eventType: string, payload: Record<string, any>): RelayEvent[] {
    const events: RelayEvent[] = this.started ? [] : [this.start()];
    switch (eventType) {
      case "messageStart":
        return events;
      case "contentBlockStart": {
        const toolUse = payload.start?.toolUse;
        if (toolUse) {
          const id = String(toolUse.toolUseId);
          this.blocks.set(Number(payload.contentBlockIndex), { kind: "tool", id });
          events.push({ type: "tool-input-start", id, toolName: String(toolUse.name) });
        }
        return events;
      }
      case "contentBlockDelta":
        return [...events, ...this.onDelta(Number(payload.contentBlockIndex), payload.delta ?? {})];
      case "contentBlockStop":
        return [...events, ...this.closeBlock(Number(payload.contentBlockIndex))];
      case "messageStop":
        this.stopReason = payload.stopReason ?? null;
        return [...events, ...this.closeAll()];
      case "metadata":
        this.takeUsage(payload.usage);
        return [...events, this.finish()];
      default:
        return events;
    }
  }

  /** Called when the stream ended: a finish event if the metadata never came but the message stopped. */
  end(): RelayEvent[] {
    if (this.finished || this.stopReason === null) return [];
    return [...this.closeAll(), this.finish()];
  }

  private start(): RelayEvent {
    this.started = true;
    return { type: "stream-start", id: this.messageId, model: this.model, usage: this.usage };
  }

  private finish(): RelayEvent {
    this.finished = true;
    return { type: "finish", finishReason: mapConverseStopReason(this.stopReason), usage: this.usage, model: this.model };
  }

  private onDelta(index: number, delta: Record<string, any>): RelayEvent[] {
    const events: RelayEvent[] = [];
    const open = (kind: BlockKind) => {
      const existing = this.blocks.get(index);
      if (existing) return existing;
      const block = { kind, id: `${this.messageId}:${index}` };
      this.blocks.set(index, block);
      events.push(kind === "text" ? { type: "text-start", id: block.id } : { type: "reasoning-start", id: block.id });
      return block;
    };
    if (typeof delta.text === "string") {
      const block = open("text");
      events.push({ type: "text-delta", id: block.id, delta: delta.text });
    } else if (delta.toolUse && typeof delta.toolUse.input === "string") {
      const block = this.blocks.get(index);
      if (block?.kind === "tool" && delta.toolUse.input) events.push({ type: "tool-input-delta", id: block.id, delta: delta.toolUse.input });
    } else if (typeof delta.reasoningContent?.text === "string") {
      const block = open("reasoning");
      events.push({ type: "reasoning-delta", id: block.id, delta: delta.reasoningContent.text });
    }
    return events;
  }

  private closeBlock(index: number): RelayEvent[] {
    const block = this.blocks.get(index);
    if (!block) return [];
    this.blocks.delete(index);
    switch (block.kind) {
      case "text":
        return [{ type: "text-end", id: block.id }];
      case "reasoning":
        return [{ type: "reasoning-end", id: block.id }];
      case "tool":
        return [{ type: "tool-input-end", id: block.id }];
      default: {
        const unreachable: never = block.kind;
        return unreachable;
      }
    }
  }

  private closeAll(): RelayEvent[] {
    return [...this.blocks.keys()].flatMap((index) => this.closeBlock(index));
  }

  private takeUsage(usage: Record<string, any> | undefined): void {
    if (!usage) return;
    this.usage = {
      inputTokens: Number(usage.inputTokens ?? 0),
      outputTokens: Number(usage.outputTokens ?? 0),
      cacheCreationInputTokens: Number(usage.cacheWriteInputTokens ?? 0),
      cacheReadInputTokens: Number(usage.cacheReadInputTokens ?? 0),
    };
  }
}

/** The ConverseStream events a complete Converse answer stands for. */
export function converseResponseAsStreamEvents(response: Record<string, any>): Array<[string, Record<string, any>]> {
  const content = (response.output?.message?.content ?? []) as Array<Record<string, any>>;
  const events: Array<[string, Record<string, any>]> = [["messageStart", { role: "assistant" }]];
  content.forEach((block, index) => {
    if (block.toolUse) {
      events.push(["contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId: block.toolUse.toolUseId, name: block.toolUse.name } } }]);
      events.push(["contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: JSON.stringify(block.toolUse.input ?? {}) } } }]);
    } else if (typeof block.text === "string") {
      events.push(["contentBlockDelta", { contentBlockIndex: index, delta: { text: block.text } }]);
    } else if (block.reasoningContent?.reasoningText) {
      events.push(["contentBlockDelta", { contentBlockIndex: index, delta: { reasoningContent: { text: block.reasoningContent.reasoningText.text ?? "" } } }]);
    }
    events.push(["contentBlockStop", { contentBlockIndex: index }]);
  });
  events.push(["messageStop", { stopReason: response.stopReason }]);
  events.push(["metadata", { usage: response.usage ?? {} }]);
  return events;
}
