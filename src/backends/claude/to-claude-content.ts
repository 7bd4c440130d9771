/** The claude CLI reads Anthropic content blocks: the shared Anthropic wire mapping, under the names this folder uses. */
import {
  mapRelayContentToAnthropic,
  mergeConsecutiveTurns,
  type AnthropicContentBlock,
  type MapRelayContentToAnthropicOptions,
} from "../anthropic-wire/map-relay-content-to-anthropic.ts";
import type { RelayContentPart } from "../../core/relay-request.ts";

/** An Anthropic content block as the claude CLI reads it from stdin and from session files. */
export type ClaudeContentBlock = AnthropicContentBlock;

export type ToClaudeContentOptions = Pick<MapRelayContentToAnthropicOptions, "toolName">;

/** Converts neutral content parts to the Anthropic blocks the CLI understands (without cache breakpoints: the CLI sets its own). */
export function toClaudeContent(parts: RelayContentPart[], options: ToClaudeContentOptions = {}): ClaudeContentBlock[] {
  return mapRelayContentToAnthropic(parts, { toolName: options.toolName });
}

export { mergeConsecutiveTurns };
