/** Which neutral part an Anthropic content block type becomes, in responses and streams. */

/** text -> text, thinking and redacted_thinking -> reasoning, tool_use -> a tool call; server tool blocks and newer types are "other". */
export type AnthropicBlockKind = "text" | "reasoning" | "tool-call" | "other";

export function mapAnthropicContentBlockType(type: string): AnthropicBlockKind {
  switch (type) {
    case "text":
      return "text";
    case "thinking":
    case "redacted_thinking":
      return "reasoning";
    case "tool_use":
      return "tool-call";
    default:
      return "other";
  }
}
