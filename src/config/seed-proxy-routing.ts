/**
 * `--backend openai` without a routing file: the routes the seed proxies (claude-code-proxy and its kin)
 * build from their environment variables, so their users move without writing YAML.
 */
import { ConfigError } from "../config.ts";
import type { RouteTarget } from "../router/route-table.ts";
import { claudeProviderName, defaultProviderTimeoutMs, type OpenAIProviderConfig, type ProviderConfig, type RoutingConfig } from "./routing-config.ts";

/** The provider name the seed variables configure. */
export const seedProviderName = "openai";

/** The seed proxies' defaults when no model variable is set. */
const defaultBigModel = "gpt-4o";
const defaultSmallModel = "gpt-4o-mini";

const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === "" ? undefined : value.trim());

/** CUSTOM_HEADER_X_TEAM=blue -> { "x-team": "blue" }. */
export function customHeadersFrom(env: Record<string, string | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^CUSTOM_HEADER_(.+)$/.exec(name);
    if (match && value !== undefined && value !== "") headers[match[1].replaceAll("_", "-").toLowerCase()] = value;
  }
  return headers;
}

/** The routing the seed variables describe. */
export function seedProxyRouting(env: Record<string, string | undefined>): RoutingConfig {
  const baseUrl = (nonEmpty(env.OPENAI_BASE_URL) ?? "https://api.openai.com/v1").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) throw new ConfigError(`OPENAI_BASE_URL: expected an http(s) URL, got "${env.OPENAI_BASE_URL}"`);
  const provider: OpenAIProviderConfig = {
    type: "openai",
    name: seedProviderName,
    baseUrl,
    apiKey: nonEmpty(env.OPENAI_API_KEY),
    headers: customHeadersFrom(env),
    apiVersion: nonEmpty(env.AZURE_API_VERSION),
    models: {},
    pdf: "file",
    timeoutMs: defaultProviderTimeoutMs,
  };
  // OPENAI_MODEL serves everything unless a tier variable says otherwise.
  const everything = nonEmpty(env.OPENAI_MODEL);
  const big = nonEmpty(env.BIG_MODEL) ?? nonEmpty(env.BIG_MODEL_NAME) ?? everything ?? defaultBigModel;
  const middle = nonEmpty(env.MIDDLE_MODEL) ?? big;
  const small = nonEmpty(env.SMALL_MODEL) ?? nonEmpty(env.SMALL_MODEL_NAME) ?? everything ?? defaultSmallModel;
  const to = (model: string): RouteTarget[] => [{ provider: seedProviderName, model }];
  return {
    source: "--backend openai",
    providers: new Map<string, ProviderConfig>([
      [claudeProviderName, { type: "claude-cli", name: claudeProviderName }],
      [seedProviderName, provider],
    ]),
    routes: {
      routes: [
        { pattern: "opus", targets: to(big) },
        { pattern: "sonnet", targets: to(middle) },
        { pattern: "haiku", targets: to(small) },
      ],
      // Other names (gpt-4o, deepseek-chat, ...) pass through unchanged, as in the seeds.
      defaultTargets: everything ? to(everything) : [{ provider: seedProviderName }],
      providers: [claudeProviderName, seedProviderName],
    },
  };
}
