/**
 * The neutral request every client protocol is parsed into and every backend consumes.
 * Field names are our own, not any vendor's wire format. Parsers only translate: what a backend cannot
 * honour is carried here anyway, and the backend honours it, warns (a RelayWarning) or refuses with a 400.
 */
import type { RelayProviderMetadata } from "./relay-provider-metadata.ts";

/** A prompt-cache breakpoint the client set (Anthropic cache_control); backends without explicit caching ignore it. */
export interface RelayCacheControl {
  type: "ephemeral";
  /** How long the cache entry lives, e.g. "5m" or "1h", where the client chose. */
  ttl?: string;
}

/** What every content part may carry besides its content. */
interface RelayPartBase {
  /** A prompt-cache breakpoint after this part. */
  cacheControl?: RelayCacheControl;
}

/** Where the bytes of an image or document come from. */
export type RelayMediaSource =
  | { kind: "base64"; mediaType: string; data: string }
  | { kind: "url"; url: string }
  /** Plain text carried inline (documents only). */
  | { kind: "text"; mediaType: "text/plain"; data: string };

/** Text written by the user, the assistant or a tool. */
export interface RelayTextPart extends RelayPartBase {
  type: "text";
  text: string;
}

/** An image in a user turn or a tool result. */
export interface RelayImagePart extends RelayPartBase {
  type: "image";
  source: Exclude<RelayMediaSource, { kind: "text" }>;
}

/** A document (PDF or plain text) in a user turn or a tool result. */
export interface RelayDocumentPart extends RelayPartBase {
  type: "document";
  source: RelayMediaSource;
  /** Optional title shown to the model. */
  title?: string;
  /** Optional context about the document. */
  context?: string;
}

/** A tool call the assistant made in an earlier turn. */
export interface RelayToolCallPart extends RelayPartBase {
  type: "tool-call";
  /** The id the client knows the call by; tool results refer to it. */
  id: string;
  /** The tool's name, as the client declared it. */
  name: string;
  /** The parsed arguments. */
  input: unknown;
}

/** The result of a tool call, sent back by the client. */
export interface RelayToolResultPart extends RelayPartBase {
  type: "tool-result";
  /** The id of the tool call this answers. */
  toolCallId: string;
  /** What the tool returned. */
  content: Array<RelayTextPart | RelayImagePart | RelayDocumentPart>;
  /** True when the tool failed. */
  isError: boolean;
}

/** Model reasoning from an earlier assistant turn. */
export interface RelayReasoningPart {
  type: "reasoning";
  text: string;
  /** What the provider that produced it needs to accept it back (Anthropic's signature or redacted data). */
  providerMetadata?: RelayProviderMetadata;
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
  /** A prompt-cache breakpoint after this tool's definition. */
  cacheControl?: RelayCacheControl;
}

/**
 * A tool that runs at the provider, not at the client (Anthropic web search or code execution, OpenAI
 * web_search or custom tools), kept as the client sent it: only a backend for that provider can offer it.
 */
export interface RelayProviderTool {
  /** The protocol family the tool was declared in. */
  provider: "anthropic" | "openai";
  /** The tool's type as sent, e.g. "web_search_20250305" or "web_search". */
  type: string;
  /** Where the client declared it, e.g. "tools.2", for warnings and errors. */
  parameter: string;
  /** The declaration exactly as sent. */
  raw: Record<string, unknown>;
}

/** One block of system instructions. */
export interface RelaySystemPart {
  text: string;
  /** A prompt-cache breakpoint after this block. */
  cacheControl?: RelayCacheControl;
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

/**
 * Parameters of one client protocol that have no neutral meaning, kept raw under the client's own name
 * (e.g. "logit_bias", "web_search_options", "mcp_servers", "text.verbosity"); a backend of that
 * family may honour them, any other warns.
 */
export interface RelayProviderOptions {
  anthropic?: Record<string, unknown>;
  openai?: Record<string, unknown>;
}

/** The neutral request. */
export interface RelayRequest {
  /** The model name exactly as the client sent it (a router may replace it with its target's model). */
  model: string;
  /** System instructions (system and developer messages, joined with blank lines), if any. */
  system?: string;
  /** The same instructions block by block, with their cache breakpoints; `system` is their join. */
  systemParts?: RelaySystemPart[];
  /** The conversation, oldest first. */
  messages: RelayMessage[];
  /** Whether the client wants a stream. */
  stream: boolean;
  /** Upper bound on generated tokens. */
  maxOutputTokens?: number;
  /** The client's name for `maxOutputTokens` (max_tokens, max_completion_tokens, max_output_tokens), for a backend's 400. */
  maxOutputTokensParameter?: string;
  /** Sampling temperature exactly as sent (OpenAI allows up to 2, Anthropic up to 1). */
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Seed for deterministic sampling. */
  seed?: number;
  /** OpenAI frequency penalty (-2 to 2). */
  frequencyPenalty?: number;
  /** OpenAI presence penalty (-2 to 2). */
  presencePenalty?: number;
  /** How many alternative answers the client asked for (OpenAI `n`); absent means one. */
  choiceCount?: number;
  /** The client asked for log probabilities of the output tokens. */
  logprobs?: boolean;
  /** How many most-likely alternatives to report per token, with `logprobs`. */
  topLogprobs?: number;
  /** Sequences that stop generation. */
  stopSequences?: string[];
  /** Extended thinking; absent means the client did not ask for it. */
  thinking?: RelayThinking;
  /** Reasoning effort, where the client expressed one. */
  effort?: "low" | "medium" | "high" | "xhigh" | "max";
  /** Tools declared by the client. */
  tools?: RelayToolDefinition[];
  /** Tools that run at the provider (server tools), kept raw. */
  providerTools?: RelayProviderTool[];
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
  /** Key-value metadata the client attached (OpenAI `metadata`); Anthropic's metadata.user_id is `userId`. */
  metadata?: Record<string, string>;
  /** The service tier the client asked for, as sent (OpenAI "flex", "priority"; Anthropic "standard_only"). */
  serviceTier?: string;
  /** Protocol parameters without a neutral form, raw. */
  providerOptions?: RelayProviderOptions;
  /** What the parser could not carry at all (content it had to drop); backends add their own on stream-start. */
  warnings: RelayWarning[];
}
