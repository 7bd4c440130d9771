/**
 * Reads and validates the routing file (YAML, parsed by Bun). Every problem names the file, the line and the
 * key; all problems are reported at once, so `agent-relay config check` lists everything to fix.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { invalidPatternReason, parseRouteTarget, type ModelRoute, type RouteTarget } from "../router/route-table.ts";
import {
  claudeProviderName,
  providerTypes,
  type OpenAIProviderConfig,
  type OpenAIProviderModelConfig,
  type ProviderConfig,
  type RoutingConfig,
} from "./routing-config.ts";
import { lineOfKey, lineOfSyntaxError, lineOfText } from "./yaml-lines.ts";
import { parseAnthropicProvider, parseBedrockProvider, parseProviderTimeout } from "./parse-upstream-providers.ts";

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping => typeof value === "object" && value !== null && !Array.isArray(value);

/** Collects problems with their lines. */
class Problems {
  readonly list: Array<{ line?: number; message: string }> = [];
  constructor(
    private readonly path: string,
    private readonly text: string,
  ) {}

  /** A problem at a key path (reported at the key's line). */
  at(keys: string[], message: string): void {
    this.list.push({ line: lineOfKey(this.text, keys), message: `${keys.join(".")}: ${message}` });
  }

  /** A problem at the line of some text. */
  atText(needle: string, message: string): void {
    this.list.push({ line: lineOfText(this.text, needle), message });
  }

  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sorted = [...this.list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const lines = sorted.map((problem) => `${this.path}${problem.line ? `:${problem.line}` : ""}: ${problem.message}`);
    throw new ConfigError(lines.join("\n"));
  }
}

/** Reads and validates the routing file at `path`; `${VAR}` is read from `env`. */
export function loadRoutingFile(path: string, env: Record<string, string | undefined>): RoutingConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the routing file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseRoutingFile(text, { path, env });
}

/** Validates the routing file's text. */
export function parseRoutingFile(text: string, options: { path: string; env: Record<string, string | undefined> }): RoutingConfig {
  const problems = new Problems(options.path, text);
  let document: unknown;
  try {
    document = Bun.YAML.parse(text);
  } catch (error) {
    const line = lineOfSyntaxError(text, (prefix) => Bun.YAML.parse(prefix));
    throw new ConfigError(`${options.path}${line ? `:${line}` : ""}: not valid YAML (${error instanceof Error ? error.message.replace(/^YAML Parse error: /, "") : String(error)})`);
  }
  document ??= {};
  if (!isMapping(document)) throw new ConfigError(`${options.path}:1: the routing file must be a mapping with providers, models and default`);
  document = substituteVariables(document, [], options.env, problems) as Mapping;
  const root = document as Mapping;

  for (const key of Object.keys(root)) {
    if (!["providers", "models", "default"].includes(key)) problems.at([key], "unknown key (expected providers, models or default)");
  }
  const providers = parseProviders(root.providers, problems);
  const names = [...providers.keys()];
  const routes = parseModels(root.models, names, problems);
  const defaultTargets = root.default === undefined ? [{ provider: claudeProviderName }] : parseTargets(root.default, ["default"], names, problems);
  problems.throwIfAny();
  return { source: options.path, providers, routes: { routes, defaultTargets, providers: names } };
}

/** Replaces ${VAR} in every string value; a variable that is not set is a problem naming it. */
function substituteVariables(value: unknown, keys: string[], env: Record<string, string | undefined>, problems: Problems): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (placeholder, name: string) => {
      const found = env[name];
      if (found === undefined || found === "") {
        problems.atText(placeholder, `${keys.join(".")}: environment variable ${name} is not set`);
        return "";
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteVariables(item, [...keys, String(index)], env, problems));
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteVariables(item, [...keys, key], env, problems)]));
  return value;
}

function parseProviders(value: unknown, problems: Problems): Map<string, ProviderConfig> {
  const providers = new Map<string, ProviderConfig>([[claudeProviderName, { type: "claude-cli", name: claudeProviderName }]]);
  if (value === undefined || value === null) return providers;
  if (!isMapping(value)) {
    problems.at(["providers"], "must be a mapping of provider names to their settings");
    return providers;
  }
  for (const [name, settings] of Object.entries(value)) {
    const keys = ["providers", name];
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      problems.at(keys, "a provider name may use letters, digits, '.', '_' and '-' (no '/': it separates provider and model)");
      continue;
    }
    const fields = settings ?? {};
    if (!isMapping(fields)) {
      problems.at(keys, "must be a mapping with at least a type");
      continue;
    }
    const type = fields.type ?? (name === claudeProviderName ? "claude-cli" : undefined);
    if (type === undefined) {
      problems.at(keys, `type is required (one of ${providerTypes.join(", ")})`);
      continue;
    }
    switch (type) {
      case "claude-cli":
        if (name !== claudeProviderName) problems.at([...keys, "type"], `the claude CLI is configured by the command-line options and is always named "${claudeProviderName}"`);
        for (const key of Object.keys(fields)) if (key !== "type") problems.at([...keys, key], "unknown key (the claude CLI is configured by the command-line options)");
        break;
      case "openai":
        if (name === claudeProviderName) {
          problems.at([...keys, "type"], `"${claudeProviderName}" is the claude CLI's name; choose another name for this provider`);
          break;
        }
        providers.set(name, parseOpenAIProvider(name, fields, problems));
        break;
      case "anthropic":
      case "bedrock":
        if (name === claudeProviderName) {
          problems.at([...keys, "type"], `"${claudeProviderName}" is the claude CLI's name; choose another name for this provider`);
          break;
        }
        providers.set(name, type === "anthropic" ? parseAnthropicProvider(name, fields, problems) : parseBedrockProvider(name, fields, problems));
        break;
      default:
        problems.at([...keys, "type"], `unknown provider type "${String(type)}" (expected one of ${providerTypes.join(", ")})`);
    }
  }
  return providers;
}

const openAIProviderKeys = ["type", "base_url", "api_key", "headers", "api_version", "models", "pdf", "system_prompt", "timeout", "top_k", "reasoning_content", "passthrough"];

function parseOpenAIProvider(name: string, fields: Mapping, problems: Problems): OpenAIProviderConfig {
  const keys = ["providers", name];
  for (const key of Object.keys(fields)) if (!openAIProviderKeys.includes(key)) problems.at([...keys, key], `unknown key (expected one of ${openAIProviderKeys.join(", ")})`);
  const baseUrl = typeof fields.base_url === "string" ? fields.base_url.trim().replace(/\/+$/, "") : "";
  if (fields.base_url === undefined || fields.base_url === null) problems.at([...keys, "type"], "base_url is required: the API root, e.g. https://openrouter.ai/api/v1");
  else if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) problems.at([...keys, "base_url"], "must be an http:// or https:// URL: the API root, e.g. https://openrouter.ai/api/v1");
  const optionalString = (key: string): string | undefined => {
    const value = fields[key];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value === "string" || typeof value === "number") return String(value);
    problems.at([...keys, key], "must be a string");
    return undefined;
  };
  const headers: Record<string, string> = {};
  if (fields.headers !== undefined && fields.headers !== null) {
    if (!isMapping(fields.headers)) problems.at([...keys, "headers"], "must be a mapping of header names to values");
    else for (const [header, value] of Object.entries(fields.headers)) headers[header] = String(value);
  }
  const pdf = fields.pdf ?? "file";
  if (pdf !== "file" && pdf !== "text") problems.at([...keys, "pdf"], 'must be "file" (PDFs sent as file parts) or "text" (PDFs refused)');
  return {
    type: "openai",
    name,
    baseUrl,
    apiKey: optionalString("api_key"),
    headers,
    apiVersion: optionalString("api_version"),
    models: parseProviderModels(fields.models, keys, problems),
    pdf: pdf === "text" ? "text" : "file",
    systemPrompt: parseSystemPrompt(fields.system_prompt, keys, problems),
    timeoutMs: parseProviderTimeout(fields.timeout, keys, problems),
    topK: optionalBoolean(fields.top_k, [...keys, "top_k"], problems),
    reasoningContent: optionalBoolean(fields.reasoning_content, [...keys, "reasoning_content"], problems),
    passthrough: optionalBoolean(fields.passthrough, [...keys, "passthrough"], problems),
  };
}

function optionalBoolean(value: unknown, keys: string[], problems: Problems): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  problems.at(keys, "must be true or false");
  return undefined;
}

function positiveInteger(value: unknown, keys: string[], problems: Problems): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  problems.at(keys, "must be a positive whole number");
  return undefined;
}

function parseProviderModels(value: unknown, keys: string[], problems: Problems): Record<string, OpenAIProviderModelConfig> {
  if (value === undefined || value === null) return {};
  if (!isMapping(value)) {
    problems.at([...keys, "models"], "must be a mapping of model names to settings (max_output_tokens, context_window)");
    return {};
  }
  const models: Record<string, OpenAIProviderModelConfig> = {};
  for (const [model, settings] of Object.entries(value)) {
    const at = [...keys, "models", model];
    if (!isMapping(settings)) {
      problems.at(at, "must be a mapping with max_output_tokens and/or context_window");
      continue;
    }
    for (const key of Object.keys(settings)) if (key !== "max_output_tokens" && key !== "context_window") problems.at([...at, key], "unknown key (expected max_output_tokens or context_window)");
    models[model] = {
      maxOutputTokens: positiveInteger(settings.max_output_tokens, [...at, "max_output_tokens"], problems),
      contextWindow: positiveInteger(settings.context_window, [...at, "context_window"], problems),
    };
  }
  return models;
}

function parseSystemPrompt(value: unknown, keys: string[], problems: Problems): OpenAIProviderConfig["systemPrompt"] {
  if (value === undefined || value === null) return undefined;
  const at = [...keys, "system_prompt"];
  if (!isMapping(value)) {
    problems.at(at, "must be a mapping with max_tokens and/or compact");
    return undefined;
  }
  for (const key of Object.keys(value)) if (key !== "max_tokens" && key !== "compact") problems.at([...at, key], "unknown key (expected max_tokens or compact)");
  if (value.compact !== undefined && typeof value.compact !== "boolean") problems.at([...at, "compact"], "must be true or false");
  return { maxTokens: positiveInteger(value.max_tokens, [...at, "max_tokens"], problems), compact: value.compact === true };
}

function parseModels(value: unknown, providers: string[], problems: Problems): ModelRoute[] {
  if (value === undefined || value === null) return [];
  if (!isMapping(value)) {
    problems.at(["models"], "must be a mapping of model names or * patterns to targets");
    return [];
  }
  return Object.entries(value).flatMap(([pattern, targets]) => {
    const keys = ["models", pattern];
    const invalid = invalidPatternReason(pattern);
    if (invalid) {
      problems.at(keys, invalid);
      return [];
    }
    return [{ pattern, targets: parseTargets(targets, keys, providers, problems) }];
  });
}

/** A target or a list of targets (a fallback chain). */
function parseTargets(value: unknown, keys: string[], providers: string[], problems: Problems): RouteTarget[] {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) problems.at(keys, "needs at least one target (PROVIDER or PROVIDER/MODEL)");
  return items.flatMap((item) => {
    if (typeof item !== "string" || item.trim() === "") {
      problems.at(keys, "a target is PROVIDER or PROVIDER/MODEL, e.g. openrouter/openai/gpt-5.4");
      return [];
    }
    const target = parseRouteTarget(item);
    if (!providers.includes(target.provider)) {
      problems.at(keys, `"${item}" routes to provider "${target.provider}", which is not configured (providers: ${providers.join(", ")})`);
      return [];
    }
    if (target.model === "") {
      problems.at(keys, `"${item}" has an empty model after "/"`);
      return [];
    }
    return [target];
  });
}
