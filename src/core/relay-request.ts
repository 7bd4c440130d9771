/**
 * The neutral request every client protocol is parsed into and every backend consumes.
 * Field names are our own, not any vendor's wire format.
 */

/** Where the bytes of an image or document come from. */
export type RelayMediaSource =
  | { kind: "base64"; mediaType: string; data: string }
  | { kind: "url"; url: string }
  /** Plain text carried inline (documents only). */
  | { kind: "text"; mediaType: "text/plain"; data: string };

/** Text written by the user, the assistant or a tool. */
export interface RelayTextPart {
  type: "text";
  text: string;
}

/** An image in a user turn or a tool result. */
export interface RelayImagePart {
  type: "image";
  source: Exclude<RelayMediaSource, { kind: "text" }>;
}

/** A document (PDF or plain text) in a user turn or a tool result. */
export interface RelayDocumentPart {
  type: "document";
  source: RelayMediaSource;
  /** Optional title shown to the model. */
  title?: string;
  /** Optional context about the document. */
  context?: string;
}

/** A tool call the assistant made in an earlier turn. */
export interface RelayToolCallPart {
  type: "tool-call";
  /** The id the client knows the call by; tool results refer to it. */
  id: string;
  /** The tool's name, as the client declared it. */
  name: string;
  /** The parsed arguments. */
  input: unknown;
}

/** The result of a tool call, sent back by the client. */
export interface RelayToolResultPart {
  type: "tool-result";
  /** The id of the tool call this answers. */
  toolCallId: string;
  /** What the tool returned. */
  content: Array<RelayTextPart | RelayImagePart | RelayDocumentPart>;
  /** True when the tool failed. */
  isError: boolean;
}

/** Model reasoning from an earlier assistant turn (Anthropic thinking blocks). */
export interface RelayReasoningPart {
  type: "reasoning";
  text: string;
  /** The signature the upstream attached, needed to send thinking back. */
  signature?: string;
  /** Encrypted reasoning (Anthropic redacted_thinking). */
  redactedData?: string;
}

/** One piece of message content. */
export type RelayContentPart =
  | RelayTextPart
  | RelayImagePart
  | RelayDocumentPart
  | RelayToolCallPart
  | RelayToolResultPart
  | RelayReasoningPart;

/** One turn of the conversation. System text is not a message: it lives in `RelayRequest.system`. */
export interface RelayMessage {
  role: "user" | "assistant";
  content: RelayContentPart[];
}

/** A tool the client declares; the model may call it and the client runs it. */
export interface RelayToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the tool's input. */
  inputSchema: Record<string, unknown>;
}

/** How the model may use the client's tools. */
export type RelayToolChoice =
  | { type: "auto" }
  | { type: "none" }
  | { type: "required" }
  | { type: "tool"; name: string };

/** The answer must be JSON, optionally matching a JSON Schema. */
export interface RelayResponseFormat {
  type: "json";
  /** JSON Schema the answer must match; absent means any JSON object. */
  schema?: Record<string, unknown>;
  /** The schema's name, where the client gave one. */
  name?: string;
}

/** Extended thinking as the client asked for it. */
export type RelayThinking =
  | { type: "enabled"; budgetTokens?: number }
  | { type: "adaptive" }
  | { type: "disabled" };

/** A request parameter the protocol accepted but the relay may not carry faithfully. */
export interface RelayWarning {
  /** The client-side parameter, e.g. "frequency_penalty". */
  parameter: string;
  /** Why it is not honoured. */
  message: string;
}

/** The neutral request. */
export interface RelayRequest {
  /** The model name exactly as the client sent it. */
  model: string;
  /** System instructions (system and developer messages, joined), if any. */
  system?: string;
  /** The conversation, oldest first. */
  messages: RelayMessage[];
  /** Whether the client wants a stream. */
  stream: boolean;
  /** Upper bound on generated tokens. */
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Sequences that stop generation. */
  stopSequences?: string[];
  /** Extended thinking; absent means the client did not ask for it. */
  thinking?: RelayThinking;
  /** Reasoning effort, where the client expressed one. */
  effort?: "low" | "medium" | "high" | "xhigh" | "max";
  /** Tools declared by the client. */
  tools?: RelayToolDefinition[];
  /** How the model may use `tools`. */
  toolChoice?: RelayToolChoice;
  /** False when the model must make at most one tool call per turn. */
  parallelToolCalls?: boolean;
  /** Structured output: the answer is JSON (matching a schema when one is given). */
  responseFormat?: RelayResponseFormat;
  /** The client asked for the 1M-token context window (Anthropic's context-1m beta). */
  longContext?: boolean;
  /** An end-user id for abuse tracking, if the client sent one. */
  userId?: string;
  /** Parameters accepted but not honoured; logged, never sent to the client as errors. */
  warnings: RelayWarning[];
}
