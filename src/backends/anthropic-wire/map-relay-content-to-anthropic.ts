/** Neutral content -> Anthropic Messages content blocks (for the claude CLI's stdin and session files, and the Messages API). */
import type { RelayCacheControl, RelayContentPart, RelayMediaSource, RelayMessage } from "../../core/relay-request.ts";

/** An Anthropic content block. */
export type AnthropicContentBlock = Record<string, unknown> & { type: string };

export interface MapRelayContentToAnthropicOptions {
  /** The name the model knows a client tool by (the claude CLI offers client tools as MCP tools). */
  toolName?: (clientName: string) => string;
  /**
   * Send the client's cache breakpoints as cache_control. Off for the claude CLI: it sets its own, and the API
   * refuses more than four.
   */
  cacheControl?: boolean;
}

/** Converts neutral content parts to Anthropic blocks. Parts with nothing to say are dropped. */
export function mapRelayContentToAnthropic(parts: RelayContentPart[], options: MapRelayContentToAnthropicOptions = {}): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const part of parts) {
    const block = toAnthropicBlock(part, options);
    if (!block) continue;
    const control = options.cacheControl && "cacheControl" in part ? part.cacheControl : undefined;
    blocks.push(control ? { ...block, cache_control: toAnthropicCacheControl(control) } : block);
  }
  return blocks;
}

export function toAnthropicCacheControl(control: RelayCacheControl): Record<string, unknown> {
  return { type: control.type, ...(control.ttl ? { ttl: control.ttl } : {}) };
}

function toAnthropicBlock(part: RelayContentPart, options: MapRelayContentToAnthropicOptions): AnthropicContentBlock | undefined {
  switch (part.type) {
    case "text":
      // The Messages API rejects empty text blocks.
      return part.text === "" ? undefined : { type: "text", text: part.text };
    case "image":
      return { type: "image", source: toAnthropicSource(part.source) };
    case "document": {
      const block: AnthropicContentBlock = { type: "document", source: toAnthropicSource(part.source) };
      if (part.title) block.title = part.title;
      if (part.context) block.context = part.context;
      return block;
    }
    case "tool-call":
      return { type: "tool_use", id: part.id, name: options.toolName?.(part.name) ?? part.name, input: part.input ?? {} };
    case "tool-result": {
      const content = mapRelayContentToAnthropic(part.content, { cacheControl: options.cacheControl });
      return {
        type: "tool_result",
        tool_use_id: part.toolCallId,
        content: content.length > 0 ? content : "",
        ...(part.isError ? { is_error: true } : {}),
      };
    }
    case "reasoning": {
      const anthropic = part.providerMetadata?.anthropic;
      if (anthropic?.redactedData) return { type: "redacted_thinking", data: anthropic.redactedData };
      // Thinking sent back without its signature is rejected upstream; it only carries meaning with one.
      return anthropic?.signature ? { type: "thinking", thinking: part.text, signature: anthropic.signature } : undefined;
    }
    default: {
      const unreachable: never = part;
      throw new Error(`unknown content part ${JSON.stringify(unreachable)}`);
    }
  }
}

function toAnthropicSource(source: RelayMediaSource): Record<string, unknown> {
  switch (source.kind) {
    case "base64":
      return { type: "base64", media_type: source.mediaType, data: source.data };
    case "url":
      return { type: "url", url: source.url };
    case "text":
      return { type: "text", media_type: source.mediaType, data: source.data };
    default: {
      const unreachable: never = source;
      throw new Error(`unknown media source ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Merges consecutive messages of the same role, as the Messages API expects strictly alternating turns. */
export function mergeConsecutiveTurns(messages: RelayMessage[]): RelayMessage[] {
  const merged: RelayMessage[] = [];
  for (const message of messages) {
    const last = merged.at(-1);
    if (last && last.role === message.role) last.content = [...last.content, ...message.content];
    else merged.push({ role: message.role, content: [...message.content] });
  }
  return merged;
}
