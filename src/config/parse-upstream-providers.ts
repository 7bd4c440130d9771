/** The routing file's `type: anthropic` and `type: bedrock` provider settings, validated with the key at fault. */
import { parseDuration } from "../config.ts";
import { defaultProviderTimeoutMs, type AnthropicProviderConfig, type BedrockProviderConfig } from "./routing-config.ts";

/** Collects problems by key path (load-routing-file.ts adds the line numbers). */
interface ProblemSink {
  at(keys: string[], message: string): void;
}

type Mapping = Record<string, unknown>;

const anthropicKeys = ["type", "base_url", "api_key", "auth_token", "headers", "anthropic_version", "forward_client_key", "timeout", "default_max_tokens"];
const bedrockKeys = ["type", "region", "profile", "api_key", "base_url", "betas", "anthropic_version", "models", "inference_profiles", "default_max_tokens", "timeout"];

export function parseAnthropicProvider(name: string, fields: Mapping, problems: ProblemSink): AnthropicProviderConfig {
  const read = fieldReader(name, fields, anthropicKeys, problems);
  const baseUrl = (read.string("base_url") ?? "https://api.anthropic.com").replace(/\/+$/, "").replace(/\/v1$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) problems.at(["providers", name, "base_url"], "must be an http(s) URL, e.g. https://api.anthropic.com");
  return {
    type: "anthropic",
    name,
    baseUrl,
    apiKey: read.string("api_key"),
    authToken: read.string("auth_token"),
    headers: read.headers(),
    anthropicVersion: read.string("anthropic_version") ?? "2023-06-01",
    forwardClientKey: read.boolean("forward_client_key") ?? false,
    timeoutMs: read.timeout(),
    defaultMaxTokens: read.positiveInteger("default_max_tokens"),
  };
}

export function parseBedrockProvider(name: string, fields: Mapping, problems: ProblemSink): BedrockProviderConfig {
  const read = fieldReader(name, fields, bedrockKeys, problems);
  const baseUrl = read.string("base_url")?.replace(/\/+$/, "");
  if (baseUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(baseUrl)) problems.at(["providers", name, "base_url"], "must be an http(s) URL");
  const region = read.string("region");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) problems.at(["providers", name, "region"], "must be an AWS region such as us-east-1");
  return {
    type: "bedrock",
    name,
    region,
    profile: read.string("profile"),
    apiKey: read.string("api_key"),
    baseUrl,
    betas: read.strings("betas"),
    anthropicVersion: read.string("anthropic_version"),
    models: read.strings("models") ?? [],
    inferenceProfiles: read.stringMapping("inference_profiles"),
    defaultMaxTokens: read.positiveInteger("default_max_tokens"),
    timeoutMs: read.timeout(),
  };
}

/** A provider's `timeout`: seconds as a number, or a duration such as 60s; the default when absent. */
export function parseProviderTimeout(value: unknown, keys: string[], problems: ProblemSink): number {
  if (value === undefined || value === null) return defaultProviderTimeoutMs;
  const milliseconds = typeof value === "number" ? value * 1000 : typeof value === "string" ? parseDuration(value) : undefined;
  if (milliseconds === undefined || milliseconds <= 0) {
    problems.at([...keys, "timeout"], "must be a duration such as 60s, 1500ms or 5m");
    return defaultProviderTimeoutMs;
  }
  return milliseconds;
}

function fieldReader(name: string, fields: Mapping, allowed: string[], problems: ProblemSink) {
  const keys = ["providers", name];
  for (const key of Object.keys(fields)) if (!allowed.includes(key)) problems.at([...keys, key], `unknown key (expected one of ${allowed.join(", ")})`);
  return {
    string(key: string): string | undefined {
      const value = fields[key];
      if (value === undefined || value === null || value === "") return undefined;
      if (typeof value === "string" || typeof value === "number") return String(value).trim();
      problems.at([...keys, key], "must be a string");
      return undefined;
    },
    boolean(key: string): boolean | undefined {
      const value = fields[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value === "boolean") return value;
      problems.at([...keys, key], "must be true or false");
      return undefined;
    },
    strings(key: string): string[] | undefined {
      const value = fields[key];
      if (value === undefined || value === null) return undefined;
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
      problems.at([...keys, key], "must be a list of strings");
      return undefined;
    },
    positiveInteger(key: string): number | undefined {
      const value = fields[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
      problems.at([...keys, key], "must be a positive whole number");
      return undefined;
    },
    stringMapping(key: string): Record<string, string> {
      const value = fields[key];
      if (value === undefined || value === null) return {};
      if (typeof value === "object" && !Array.isArray(value) && Object.values(value as Mapping).every((item) => typeof item === "string" && item !== "")) return { ...(value as Record<string, string>) };
      problems.at([...keys, key], "must be a mapping of ARNs (or IDs) to the model id each runs");
      return {};
    },
    headers(): Record<string, string> {
      const value = fields.headers;
      if (value === undefined || value === null) return {};
      if (typeof value !== "object" || Array.isArray(value)) {
        problems.at([...keys, "headers"], "must be a mapping of header names to values");
        return {};
      }
      return Object.fromEntries(Object.entries(value as Mapping).map(([header, text]) => [header, String(text)]));
    },
    timeout(): number {
      return parseProviderTimeout(fields.timeout, keys, problems);
    },
  };
}
