/**
 * The parts of the claude CLI's stream-json output (2.1.197) the relay reads. The CLI prints more fields;
 * these are only the ones we depend on, all optional where the CLI omits them in some messages.
 */

import type { AnthropicUsage } from "../anthropic-wire/map-anthropic-usage.ts";

/** Anthropic usage as the CLI reports it in `result` and in stream events. */
export type ClaudeUsage = AnthropicUsage;

/** One line of stdout, narrowed by `type`. */
export type ClaudeOutputMessage =
  | { type: "system"; subtype: string; model?: string; attempt?: number; max_retries?: number; retry_delay_ms?: number; error_status?: number | null; error?: string }
  | { type: "stream_event"; event: ClaudeStreamEvent }
  | { type: "assistant"; message: ClaudeAssistantMessage; error?: string; parent_tool_use_id?: string | null }
  /** The CLI's own tool results (agent mode) and the client's, as the user turn it sends upstream. */
  | { type: "user"; message: { role?: string; content?: unknown }; parent_tool_use_id?: string | null }
  | ClaudeResultMessage
  | { type: "control_request"; request_id: string; request: { subtype: string; [key: string]: unknown } }
  | { type: "control_response"; response: { subtype: "success" | "error"; request_id: string; error?: string; response?: unknown } };

export interface ClaudeAssistantMessage {
  id: string;
  model: string;
  content: Array<{ type: string; text?: string; thinking?: string; signature?: string; data?: string; id?: string; name?: string; input?: unknown }>;
  usage?: ClaudeUsage;
}

export interface ClaudeResultMessage {
  type: "result";
  subtype: string;
  is_error: boolean;
  api_error_status?: number | null;
  result?: string;
  stop_reason?: string | null;
  terminal_reason?: string;
  errors?: string[];
  usage?: ClaudeUsage;
  session_id?: string;
  num_turns?: number;
  /** The validated structured output, when a JSON schema was set; absent if the model never produced it. */
  structured_output?: unknown;
}

/** Anthropic streaming events, as the CLI forwards them inside `stream_event`. */
export type ClaudeStreamEvent =
  | { type: "message_start"; message: { id: string; model: string; usage?: ClaudeUsage } }
  | { type: "content_block_start"; index: number; content_block: { type: string; id?: string; name?: string; data?: string; text?: string } }
  | { type: "content_block_delta"; index: number; delta: { type: string; text?: string; thinking?: string; signature?: string; partial_json?: string } }
  | { type: "content_block_stop"; index: number }
  | { type: "message_delta"; delta: { stop_reason?: string | null; stop_sequence?: string | null }; usage?: ClaudeUsage }
  | { type: "message_stop" };
