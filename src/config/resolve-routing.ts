/** Which routing the relay runs with: the routing file if there is one, else --backend's, else the built-in one. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, type RelayConfig } from "../config.ts";
import { loadRoutingFile } from "./load-routing-file.ts";
import { builtInRouting, defaultRoutingFilePath, type RoutingConfig } from "./routing-config.ts";
import { seedProxyRouting } from "./seed-proxy-routing.ts";

/** The routing file in effect: the one named by --config (which must exist), or the default one if it exists. */
export function routingFileInEffect(config: RelayConfig, env: Record<string, string | undefined>): string | undefined {
  if (config.routingFile) {
    const path = resolve(config.routingFile);
    if (!existsSync(path)) throw new ConfigError(`--config: the routing file ${path} does not exist`);
    return path;
  }
  const fallback = defaultRoutingFilePath(env);
  return existsSync(fallback) ? fallback : undefined;
}

export function resolveRouting(config: RelayConfig, env: Record<string, string | undefined>): RoutingConfig {
  const path = routingFileInEffect(config, env);
  if (path && config.backend === "openai") {
    throw new ConfigError(`--backend openai builds routes only when there is no routing file, and ${path} exists: add an openai provider to it instead`);
  }
  if (path) return loadRoutingFile(path, env);
  if (config.backend === "openai") return seedProxyRouting(env);
  return builtInRouting();
}
