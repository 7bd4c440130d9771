import type { RelayContentPart, RelayMediaSource, RelayMessage } from "../../core/relay-request.ts";

/** An Anthropic content block as the claude CLI reads it from stdin and from session files. */
export type ClaudeContentBlock = Record<string, unknown> & { type: string };

export interface ToClaudeContentOptions {
  /** The name the model knows a client tool by (client tools are MCP tools for the CLI). */
  toolName?: (clientName: string) => string;
}

/** Converts neutral content parts to the Anthropic blocks the CLI understands. Parts with nothing to say are dropped. */
export function toClaudeContent(parts: RelayContentPart[], options: ToClaudeContentOptions = {}): ClaudeContentBlock[] {
  const blocks: ClaudeContentBlock[] = [];
  for (const part of parts) {
    const block = toClaudeBlock(part, options);
    if (block) blocks.push(block);
  }
  return blocks;
}

function toClaudeBlock(part: RelayContentPart, options: ToClaudeContentOptions): ClaudeContentBlock | undefined {
  switch (part.type) {
    case "text":
      // The Messages API rejects empty text blocks.
      return part.text === "" ? undefined : { type: "text", text: part.text };
    case "image":
      return { type: "image", source: toClaudeSource(part.source) };
    case "document": {
      const block: ClaudeContentBlock = { type: "document", source: toClaudeSource(part.source) };
      if (part.title) block.title = part.title;
      if (part.context) block.context = part.context;
      return block;
    }
    case "tool-call":
      return { type: "tool_use", id: part.id, name: options.toolName?.(part.name) ?? part.name, input: part.input ?? {} };
    case "tool-result": {
      const content = toClaudeContent(part.content);
      return {
        type: "tool_result",
        tool_use_id: part.toolCallId,
        content: content.length > 0 ? content : "",
        ...(part.isError ? { is_error: true } : {}),
      };
    }
    case "reasoning":
    {
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

function toClaudeSource(source: RelayMediaSource): Record<string, unknown> {
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
