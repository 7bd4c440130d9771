/**
 * One factory per provider type of the routing file: the only place that knows which backend class serves
 * which `type:`. A new backend is one folder plus one entry here.
 */
import { ConfigError, type RelayConfig } from "../config.ts";
import type { ProviderConfig } from "../config/routing-config.ts";
import type { RelayBackend } from "../core/relay-backend.ts";
import type { RelayMetrics } from "../server/metrics.ts";
import type { Logger } from "../util/logger.ts";
import { createClaudeCliProvider } from "./claude/create-claude-cli-provider.ts";

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
  // The OpenAI-compatible backend (src/backends/openai-compatible/) registers its factory here.
  openai: (provider) => {
    throw new ConfigError(`provider "${provider.name}": type openai is not available in this build`);
  },
};

/** The backend for one configured provider. */
export function createProviderBackend(provider: ProviderConfig, context: ProviderFactoryContext): RelayBackend {
  const factory = providerFactories[provider.type] as ProviderFactory<ProviderConfig>;
  return factory(provider, { ...context, log: context.log.child({ provider: provider.name }) });
}
