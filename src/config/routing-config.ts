/**
 * The routing configuration: which providers exist and which model names go where. It comes from the
 * routing file (config.yaml), from the seed proxies' variables (--backend openai), or, without either, is
 * the built-in one: the claude CLI serves everything, exactly as before routing existed.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { RouteTable } from "../router/route-table.ts";

/** The claude CLI; always present under the name "claude", configured by the command-line options. */
export interface ClaudeCliProviderConfig {
  type: "claude-cli";
  name: string;
}

/** Per-model settings of an OpenAI-compatible provider (`models:` under the provider). */
export interface OpenAIProviderModelConfig {
  /** The most tokens the model may generate; max_tokens is clamped to it (wins over what /models reports). */
  maxOutputTokens?: number;
  /** The model's context window in tokens, for clamping max_tokens to what the input leaves. */
  contextWindow?: number;
}

/** An OpenAI-compatible Chat Completions upstream (OpenAI, OpenRouter, Azure OpenAI, Ollama, DeepSeek, ...). */
export interface OpenAIProviderConfig {
  type: "openai";
  name: string;
  /** The API root, e.g. https://openrouter.ai/api/v1 (chat/completions and models are appended). */
  baseUrl: string;
  /** Sent as Authorization: Bearer (api-key for Azure); absent for servers without keys (Ollama). */
  apiKey?: string;
  /** Extra headers sent with every request (names as written). */
  headers: Record<string, string>;
  /** Azure OpenAI: the api-version query parameter; its presence switches on Azure mode. */
  apiVersion?: string;
  /** Per-model settings, by the provider's model name. */
  models: Record<string, OpenAIProviderModelConfig>;
  /** How PDFs are sent: as `file` content parts (default), or refused with a 400 ("text": the provider takes none). */
  pdf: "file" | "text";
  /** Claude Code's system prompt made small for small local models (off by default). */
  systemPrompt?: { maxTokens?: number; compact: boolean };
  /** A request fails when the upstream sends nothing for this long (ms). */
  timeoutMs: number;
  /** Whether the provider accepts top_k (`top_k:`; default: OpenRouter yes, others no). */
  topK?: boolean;
  /** Send the reasoning of tool-calling turns back as reasoning_content (`reasoning_content:`; default: DeepSeek yes). */
  reasoningContent?: boolean;
  /** Forward OpenAI Chat clients untranslated (`passthrough:`; default true). */
  passthrough?: boolean;
}

/** The Anthropic API or an Anthropic-compatible gateway (docs/anthropic-and-bedrock.md). */
export interface AnthropicProviderConfig {
  type: "anthropic";
  name: string;
  /** The API root without /v1; default https://api.anthropic.com. */
  baseUrl: string;
  /** Sent as x-api-key. */
  apiKey?: string;
  /** Sent as Authorization: Bearer (gateways, OAuth tokens). */
  authToken?: string;
  /** Extra headers sent with every request. */
  headers: Record<string, string>;
  /** The anthropic-version header when the client sends none. */
  anthropicVersion: string;
  /** Forward the client's own x-api-key / Authorization instead of the provider's credentials. */
  forwardClientKey: boolean;
  /** A request fails when the upstream sends no response headers for this long (ms). */
  timeoutMs: number;
  /** max_tokens for translated requests that set none. */
  defaultMaxTokens?: number;
}

/** Models in AWS Bedrock: Claude through InvokeModel, others through Converse (docs/anthropic-and-bedrock.md). */
export interface BedrockProviderConfig {
  type: "bedrock";
  name: string;
  /** The AWS region; absent means AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** A profile of the shared AWS config and credentials files. */
  profile?: string;
  /** A Bedrock API key, sent as Bearer (else AWS_BEARER_TOKEN_BEDROCK, else SigV4). */
  apiKey?: string;
  /** Endpoint override; default https://bedrock-runtime.REGION.amazonaws.com. */
  baseUrl?: string;
  /** Replaces the built-in list of anthropic_beta flags Bedrock accepts. */
  betas?: string[];
  /** The anthropic_version in InvokeModel bodies; default bedrock-2023-05-31. */
  anthropicVersion?: string;
  /** Model ids listed in /v1/models for this provider. */
  models: string[];
  /** Application inference profile (or provisioned throughput) ARNs, or their IDs -> the model id each runs. */
  inferenceProfiles: Record<string, string>;
  /** max_tokens for translated requests that set none. */
  defaultMaxTokens?: number;
  /** A request fails when Bedrock sends no response headers for this long (ms). */
  timeoutMs: number;
}

export type ProviderConfig = ClaudeCliProviderConfig | OpenAIProviderConfig | AnthropicProviderConfig | BedrockProviderConfig;

/** The provider types the routing file accepts. */
export const providerTypes = ["openai", "anthropic", "bedrock", "claude-cli"] as const satisfies ReadonlyArray<ProviderConfig["type"]>;

export interface RoutingConfig {
  /** Where it came from: a file path, "--backend openai", or "built-in". */
  source: string;
  /** Providers by name; "claude" is always there. */
  providers: Map<string, ProviderConfig>;
  routes: RouteTable;
}

/** The name of the claude CLI provider. */
export const claudeProviderName = "claude";

/** Upstream timeout of OpenAI-compatible providers when the file sets none. */
export const defaultProviderTimeoutMs = 600_000;

/** Without a routing file: the claude CLI serves every model. */
export function builtInRouting(): RoutingConfig {
  return {
    source: "built-in",
    providers: new Map([[claudeProviderName, { type: "claude-cli", name: claudeProviderName }]]),
    routes: { routes: [], defaultTargets: [{ provider: claudeProviderName }], providers: [claudeProviderName] },
  };
}

/** Where the routing file is looked for when neither --config nor AGENT_RELAY_CONFIG names one. */
export function defaultRoutingFilePath(env: Record<string, string | undefined>, platform: string = process.platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === "win32") return join(env.APPDATA || join(home, "AppData", "Roaming"), "agent-relay", "config.yaml");
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "agent-relay", "config.yaml");
}
