/**
 * The subset of the OpenAI Chat Completions wire format this backend sends and reads, including the fields
 * compatible providers add (DeepSeek's reasoning_content and cache counters, OpenRouter's reasoning).
 * Our own types rather than the `openai` package's: those omit the providers' extensions.
 */

export type OpenAIChatContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "file"; file: { filename?: string; file_data: string } };

export type OpenAIChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | OpenAIChatContentPart[] }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: OpenAIChatToolCall[];
      /** DeepSeek: the reasoning of a tool-calling turn, which it requires back. */
      reasoning_content?: string;
    }
  | { role: "tool"; tool_call_id: string; content: string };

export interface OpenAIChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface OpenAIChatTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export type OpenAIChatToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

export type OpenAIChatResponseFormat =
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };

export interface OpenAIChatRequestBody {
  model: string;
  messages: OpenAIChatMessage[];
  stream: true;
  stream_options: { include_usage: true };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  frequency_penalty?: number;
  presence_penalty?: number;
  tools?: OpenAIChatTool[];
  tool_choice?: OpenAIChatToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: OpenAIChatResponseFormat;
  reasoning_effort?: string;
  /** OpenRouter's unified reasoning setting. */
  reasoning?: { effort: string };
}

/** Usage as OpenAI reports it, with the fields DeepSeek and OpenRouter add. */
export interface OpenAIChatUsage {
  /** Includes cached tokens. */
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  prompt_cache_hit_tokens?: number;
  prompt_cache_miss_tokens?: number;
}

export interface OpenAIChatToolCallDelta {
  index?: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface OpenAIChatChunk {
  id?: string;
  model?: string;
  choices?: Array<{
    index?: number;
    delta?: {
      role?: string;
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: OpenAIChatToolCallDelta[] | null;
      refusal?: string | null;
    };
    finish_reason?: string | null;
  }>;
  usage?: OpenAIChatUsage | null;
  /** OpenRouter reports a failure after the stream started this way. */
  error?: { message?: string; code?: number | string };
}

/** A non-streaming answer, from upstreams that ignore `stream: true`. */
export interface OpenAIChatCompletion {
  id?: string;
  model?: string;
  choices?: Array<{
    index?: number;
    message?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }> | null;
      refusal?: string | null;
    };
    finish_reason?: string | null;
  }>;
  usage?: OpenAIChatUsage | null;
}
