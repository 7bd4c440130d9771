/**
 * What the openai backend needs to know about one provider, resolved from the routing file, and the
 * provider quirks derived from its URL (OpenRouter, DeepSeek, Azure) that change the wire format.
 */

/** Limits of one model, from the routing file or the provider's /models. */
export interface OpenAIModelLimits {
  /** The most tokens the model generates in one answer. */
  maxOutputTokens?: number;
  /** The model's context window, input and output together. */
  contextWindow?: number;
}

/** One OpenAI-compatible provider, as the backend uses it. */
export interface OpenAICompatibleOptions {
  /** The provider's name in the routing file; errors and logs name it. */
  name: string;
  /** The API root, e.g. https://openrouter.ai/api/v1 (chat/completions and models are appended). */
  baseUrl: string;
  /** Sent as a bearer token (Azure: as the api-key header). */
  apiKey?: string;
  /** Extra headers sent with every upstream request. */
  headers?: Record<string, string>;
  /** Azure OpenAI: sent as ?api-version= and switches authentication to the api-key header. */
  apiVersion?: string;
  /** Per-model limits that override what /models reports. */
  models?: Record<string, OpenAIModelLimits>;
  /** How PDFs are sent: as `file` content parts (default), or refused with a 400 for providers that take text only. */
  pdf?: "file" | "text";
  /** Compaction of Claude Code's system prompt for small local models; off by default. */
  systemPrompt?: { maxTokens?: number; compact?: boolean };
  /** Milliseconds to wait for the upstream's response headers and between stream chunks (the routing file defaults it to 600 s; 300 s when built without one). */
  timeoutMs?: number;
  /** Whether the provider accepts top_k (default: OpenRouter yes, others no). */
  topK?: boolean;
  /** Whether to send reasoning of tool-calling turns back as reasoning_content (default: DeepSeek yes, others no). */
  reasoningContent?: boolean;
  /** Whether OpenAI Chat clients are forwarded untranslated (default true); false sends them through the hub. */
  passthrough?: boolean;
}

/** Wire differences between providers that speak the same protocol. */
export interface OpenAIDialect {
  /** OpenAI's own API (api.openai.com): takes metadata and service_tier. */
  openAI: boolean;
  /** OpenRouter takes `reasoning: { effort }` instead of reasoning_effort, and accepts top_k. */
  openRouter: boolean;
  /** Azure: api-version query and api-key header. */
  azure: boolean;
  acceptsTopK: boolean;
  /** Reasoning of tool-calling turns is sent back (DeepSeek requires it in thinking mode). */
  sendsReasoningContent: boolean;
}

export function detectOpenAIDialect(options: OpenAICompatibleOptions): OpenAIDialect {
  const host = hostOf(options.baseUrl);
  const openRouter = host === "openrouter.ai" || host.endsWith(".openrouter.ai");
  const deepSeek = host === "api.deepseek.com" || host.endsWith(".deepseek.com");
  return {
    openAI: host === "api.openai.com",
    openRouter,
    azure: options.apiVersion !== undefined,
    acceptsTopK: options.topK ?? openRouter,
    sendsReasoningContent: options.reasoningContent ?? deepSeek,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/**
 * OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 and later) reject max_tokens and want
 * max_completion_tokens; the provider prefix of a namespaced id (openai/gpt-5) does not matter.
 */
export function requiresMaxCompletionTokens(model: string): boolean {
  const bare = model.toLowerCase().split("/").at(-1) ?? "";
  return /^o\d/.test(bare) || /^gpt-5/.test(bare);
}
