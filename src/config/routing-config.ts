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
}

export type ProviderConfig = ClaudeCliProviderConfig | OpenAIProviderConfig;

/** The provider types the routing file accepts. */
export const providerTypes = ["openai", "claude-cli"] as const satisfies ReadonlyArray<ProviderConfig["type"]>;

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
