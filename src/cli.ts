#!/usr/bin/env -S bun --no-env-file
/**
 * The command-line entry: the only file that reads argv and the environment and calls listen.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "./app.ts";
import { createProviderBackend } from "./backends/provider-factories.ts";
import { ConfigError, helpText, parseCommand, type RelayConfig } from "./config.ts";
import { describeRouting } from "./config/describe-routing.ts";
import { loadRoutingFile } from "./config/load-routing-file.ts";
import { resolveRouting } from "./config/resolve-routing.ts";
import type { RoutingConfig } from "./config/routing-config.ts";
import type { RelayBackend } from "./core/relay-backend.ts";
import { RouterBackend } from "./router/router-backend.ts";
import { RelayMetrics } from "./server/metrics.ts";
import { ResponseStore } from "./store/response-store.ts";
import { createLogger, type Logger } from "./util/logger.ts";
import { version } from "./version.ts";

export interface RunningRelay {
  url: string;
  port: number;
  /** Stops accepting, lets running requests finish within the grace period, then ends every CLI process. */
  shutdown(): Promise<void>;
  /** Kills every CLI process group at once. */
  forceStop(): void;
  /** Process ids of the CLI processes alive now. */
  processIds(): number[];
}

/** The router over every configured provider, each built by its type's factory. */
function createBackends(routing: RoutingConfig, context: { config: RelayConfig; env: Record<string, string | undefined>; log: Logger; metrics: RelayMetrics }): RelayBackend {
  const providers = new Map<string, RelayBackend>();
  for (const provider of routing.providers.values()) providers.set(provider.name, createProviderBackend(provider, context));
  return new RouterBackend({ providers, routes: routing.routes, log: context.log });
}

export interface StartRelayOptions {
  config: RelayConfig;
  /** The environment the CLI inherits; the relay's own by default. */
  env?: Record<string, string | undefined>;
  /** Where log lines go; stderr by default. */
  log?: Logger;
  /** Bun's idle timeout for connections between requests; streams lift it per request. */
  serverIdleTimeoutSeconds?: number;
}

/** Starts the relay with a parsed configuration; used by main() and by tests that need a real socket. */
export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  const { config, env = process.env } = options;
  const log = options.log ?? createLogger({ level: config.logLevel });
  const startedAt = new Date();
  const routing = resolveRouting(config, env);
  let backend: RelayBackend | undefined;
  const metrics = new RelayMetrics(() => backend?.load() ?? { active: 0, queued: 0 });
  backend = createBackends(routing, { config, env, log, metrics });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const responseStore = ResponseStore.open({
    path: join(config.dataDir, "responses.sqlite"),
    maxResponses: config.responsesMaxStored,
    maxAgeMs: config.responsesMaxAgeMs,
  });
  let server: ReturnType<typeof Bun.serve> | undefined;
  const app = createApp({
    config,
    backend,
    metrics,
    log,
    version,
    startedAt,
    responseStore,
    disableIdleTimeout: (request) => server?.timeout(request, 0),
  });
  await backend.start?.();

  app.listen({ hostname: config.host, port: config.port, idleTimeout: options.serverIdleTimeoutSeconds ?? 60 });
  server = app.server ?? undefined;
  if (!server) throw new Error("the server did not start");
  const port = server.port ?? config.port;
  // The CLI must not call the relay itself when the user exported ANTHROPIC_BASE_URL for their clients.
  backend.setRelayAddress?.({ host: config.host, port });
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  log.info("agent-relay listening", {
    url,
    version,
    agent_mode: config.agent,
    workdir: config.workdir,
    auth: config.apiKey ? "api-key" : "none (loopback only)",
    routing: routing.source,
    ...backend.health().details,
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      log.info("shutting down", { grace_ms: config.shutdownGraceMs, active: backend!.load().active });
      const closing = server!.stop(false);
      await backend!.shutdown(config.shutdownGraceMs);
      await Promise.race([closing, Bun.sleep(1000)]);
      await server!.stop(true);
      responseStore.close();
      log.info("stopped");
    })());
  return { url, port, shutdown, forceStop: () => backend!.killAll?.(), processIds: () => backend!.processIds?.() ?? [] };
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agent-relay: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (command.kind === "help") {
    process.stdout.write(helpText(version) + "\n");
    return;
  }
  if (command.kind === "version") {
    process.stdout.write(`agent-relay ${version}\n`);
    return;
  }
  if (command.kind === "config") {
    process.exit(runConfigCommand(command));
  }
  let relay: RunningRelay;
  try {
    relay = await startRelay({ config: command.config });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agent-relay: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`agent-relay: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`agent-relay: second ${signal}, exiting now\n`);
      relay.forceStop();
      process.exit(130);
    }
    void relay.shutdown().then(() => process.exit(0));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** `config check [PATH]` and `config show`: prints the result, returns the exit code. */
export function runConfigCommand(command: { action: "check" | "show"; path?: string; config: RelayConfig }, env: Record<string, string | undefined> = process.env): number {
  try {
    const routing = command.path ? loadRoutingFile(command.path, env) : resolveRouting(command.config, env);
    if (command.action === "show") process.stdout.write(describeRouting(routing) + "\n");
    else process.stdout.write(`${routing.source}: OK (${routing.providers.size} providers, ${routing.routes.routes.length} model routes)\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`agent-relay: ${error.message}\n`);
    return 2;
  }
}

if (import.meta.main) await main();
