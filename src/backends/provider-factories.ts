/**
 * One factory per provider type of the routing file: the only place that knows which backend class serves
 * which `type:`. A new backend is one folder plus one entry here.
 */
import type { RelayConfig } from "../config.ts";
import type { ProviderConfig } from "../config/routing-config.ts";
import type { RelayBackend } from "../core/relay-backend.ts";
import type { RelayMetrics } from "../server/metrics.ts";
import type { Logger } from "../util/logger.ts";
import { AnthropicBackend } from "./anthropic/anthropic-backend.ts";
import { BedrockBackend } from "./bedrock/bedrock-backend.ts";
import { createClaudeCliProvider } from "./claude/create-claude-cli-provider.ts";
import { createOpenAICompatibleProvider } from "./openai-compatible/create-openai-compatible-provider.ts";

/** What every factory may use besides its own provider's settings. */
export interface ProviderFactoryContext {
  /** The relay's options (the claude CLI is configured by them). */
  config: RelayConfig;
  /** The relay's environment. */
  env: Record<string, string | undefined>;
  log: Logger;
  metrics: RelayMetrics;
}

type ProviderFactory<Config extends ProviderConfig> = (provider: Config, context: ProviderFactoryContext) => RelayBackend;

type ProviderFactories = { [Type in ProviderConfig["type"]]: ProviderFactory<Extract<ProviderConfig, { type: Type }>> };

export const providerFactories: ProviderFactories = {
  "claude-cli": createClaudeCliProvider,
  openai: createOpenAICompatibleProvider,
  anthropic: (provider) => new AnthropicBackend(provider),
  bedrock: (provider, context) => {
    const backend = new BedrockBackend({ config: provider, environment: context.env, log: context.log });
    // Missing credentials show in /health at once; the relay still starts (other providers keep working).
    void backend.checkCredentials().then(() => {
      const health = backend.health();
      if (!health.ok) context.log.warn("bedrock provider has no usable credentials", { reason: health.reason });
    });
    return backend;
  },
};

/** The backend for one configured provider. */
export function createProviderBackend(provider: ProviderConfig, context: ProviderFactoryContext): RelayBackend {
  const factory = providerFactories[provider.type] as ProviderFactory<ProviderConfig>;
  return factory(provider, { ...context, log: context.log.child({ provider: provider.name }) });
}
