#!/usr/bin/env -S bun --no-env-file
/**
 * The command-line entry: the only file that reads argv and the environment and calls listen.
 */
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
import { InspectorRecorder } from "./inspector/inspector-recorder.ts";
import { WorkerInspectorWriter, writeInThisThread, type InspectorEntryWriter } from "./inspector/inspector-writer.ts";
import { InspectorStore } from "./store/inspector-store.ts";
import { openRelayDatabase, sqliteFileName } from "./store/open-relay-database.ts";
import type { RelayDatabase } from "./store/relay-database.ts";
import { SqliteDatabase } from "./store/sqlite-database.ts";
import { combineRequestObservers, GenAITelemetry } from "./telemetry/genai-telemetry.ts";
import { OtlpExporter, otlpConfigFromEnvironment } from "./telemetry/otlp-exporter.ts";
import { prometheusTextToOtlpMetrics } from "./telemetry/prometheus-to-otlp.ts";
import { prepareDataDirectory } from "./util/private-files.ts";
import { withoutNpmBinDirectories, withoutRelayVariables } from "./util/relay-environment.ts";
import { describeBackendsForBanner, renderStartupBanner } from "./server/startup-banner.ts";
import { RelayError } from "./core/relay-error.ts";
import { ResponseStore, responseStoreUnavailable } from "./store/response-store.ts";
import { createLogger, type Logger } from "./util/logger.ts";
import { version, versionLine } from "./version.ts";

export interface RunningRelay {
  url: string;
  port: number;
  /** Stops accepting, lets running requests finish within the grace period, then ends every CLI process. */
  shutdown(): Promise<void>;
  /** Kills every CLI process group at once. */
  forceStop(): void;
  /** Process ids of the CLI processes alive now. */
  processIds(): number[];
  /** The start-up banner for a terminal. */
  banner(logFormat: "text" | "json"): string;
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
  /** OTEL_* variables for telemetry; the relay's own environment by default. */
  telemetryEnv?: Record<string, string | undefined>;
  /** Bun's idle timeout for connections between requests; streams lift it per request. */
  serverIdleTimeoutSeconds?: number;
}

/** Starts the relay with a parsed configuration; used by main() and by tests that need a real socket. */
export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  const { config } = options;
  // The relay's own settings (its API key above all) are not the CLI's business.
  const env = withoutRelayVariables(options.env ?? process.env);
  const log = options.log ?? createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stderr.isTTY ? "text" : "json") });
  const startedAt = new Date();
  const routing = resolveRouting(config, env);
  let backend: RelayBackend | undefined;
  const metrics = new RelayMetrics(() => backend?.load() ?? { active: 0, queued: 0 });
  backend = createBackends(routing, { config, env, log, metrics });
  prepareDataDirectory(config.dataDir, log);
  const { database, responseStore } = await openStores(config, log);
  const inspectorStore = new InspectorStore(database);
  let server: ReturnType<typeof Bun.serve> | undefined;
  const recorder = new InspectorRecorder({
    store: inspectorStore,
    writer: config.inspectorCapture === "none" || !isDatabaseShared(responseStore) ? undefined : await startInspectorWriter(config, inspectorStore, log),
    capture: config.inspectorCapture,
    bodyMaxBytes: config.inspectorBodyMaxBytes,
    redactHeaders: config.inspectorRedactHeaders,
    retentionMs: config.inspectorRetentionMs,
    bodyRetentionMs: config.inspectorBodyRetentionMs,
    maxBytes: config.inspectorMaxBytes,
    metrics,
    log,
    remoteAddress: (request) => server?.requestIP(request)?.address,
  });
  // OpenTelemetry is configured by the relay's own environment (OTEL_*), not the CLI's.
  const otlpConfig = otlpConfigFromEnvironment(options.telemetryEnv ?? process.env, version);
  const exporter = otlpConfig
    ? new OtlpExporter(otlpConfig, log, { readMetrics: () => prometheusTextToOtlpMetrics(metrics.render(), startedAt.getTime()) })
    : undefined;
  const app = createApp({
    config,
    backend,
    metrics,
    log,
    version,
    startedAt,
    responseStore,
    inspectorStore,
    recorder,
    observer: combineRequestObservers([recorder.enabled ? recorder : undefined, exporter ? new GenAITelemetry(exporter) : undefined]),
    disableIdleTimeout: (request) => server?.timeout(request, 0),
  });
  await backend.start?.();

  listenOrExplain(app, config, options.serverIdleTimeoutSeconds ?? 60);
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
      await recorder.close();
      await exporter?.close();
      await database.close();
      log.info("stopped");
    })());
  return {
    url,
    port,
    shutdown,
    forceStop: () => backend!.killAll?.(),
    processIds: () => backend!.processIds?.() ?? [],
    banner: (logFormat) => {
      return renderStartupBanner({
        url,
        version,
        backends: describeBackendsForBanner(backend!.health()),
        requiresKey: Boolean(config.apiKey),
        agent: config.agent,
        dataDir: config.dataDir,
        logFormat,
      });
    },
  };
}

/** Whether the database is the configured one (a file or PostgreSQL), which a second connection can open. */
function isDatabaseShared(responseStore: ResponseStore | RelayError): boolean {
  return responseStore instanceof ResponseStore;
}

/**
 * The inspector's writer thread (its own connection to the database), so storing captured requests does not
 * take the request thread's time; when the thread cannot start, the recorder writes on this thread.
 */
async function startInspectorWriter(config: RelayConfig, store: InspectorStore, log: Logger): Promise<InspectorEntryWriter | undefined> {
  try {
    // The compiled binary embeds the worker as a second entrypoint (build.ts); this URL resolves to it there.
    const workerUrl = new URL("./inspector/inspector-writer-worker.ts", import.meta.url);
    return await WorkerInspectorWriter.start({ workerUrl, target: { databaseUrl: config.databaseUrl, dataDir: config.dataDir }, fallback: writeInThisThread(store) });
  } catch (error) {
    log.warn("the inspector writer thread did not start: captured requests are written on the request thread", { error: String(error) });
    return undefined;
  }
}

/**
 * The relay's database and the Responses API store on it. When the database cannot be used, the Responses API
 * answers with the error that says which and how to recover, and the request log lives in memory: the rest of
 * the relay still starts.
 */
async function openStores(config: RelayConfig, log: Logger): Promise<{ database: RelayDatabase; responseStore: ResponseStore | RelayError }> {
  const target = config.databaseUrl ? "given with --database-url" : join(config.dataDir, sqliteFileName);
  const retention = { maxResponses: config.responsesMaxStored, maxAgeMs: config.responsesMaxAgeMs, path: target };
  try {
    const database = await openRelayDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    return { database, responseStore: new ResponseStore(database, retention) };
  } catch (error) {
    const unavailable = responseStoreUnavailable(target, error);
    log.error("the database is unavailable: the Responses API answers 503 and the request log is kept in memory; the other endpoints work", { database: target, error: unavailable.detail });
    return { database: SqliteDatabase.open(":memory:"), responseStore: unavailable };
  }
}

/**
 * Listens in production mode (Bun's development error page shows stack traces, source lines and the working
 * directory) and without SO_REUSEPORT (Elysia's default, which lets a second relay share the port and answer
 * every other request). The body limit is ours (counted as the body is read, answered with a JSON 413), so
 * Bun's own, which resets connections over 128 MB, is lifted.
 */
function listenOrExplain(app: ReturnType<typeof createApp>, config: RelayConfig, idleTimeout: number): void {
  try {
    app.listen({
      hostname: config.host,
      port: config.port,
      idleTimeout,
      development: false,
      reusePort: false,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      error: () => Response.json({ error: { message: "The relay failed to process the request.", type: "server_error", param: null, code: null } }, { status: 500 }),
    } as Parameters<typeof app.listen>[0]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || /in use/i.test(String(error))) {
      throw new Error(`port ${config.port} on ${config.host} is already in use (another agent-relay?). Stop it, or pick another port with --port.`);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === "service") {
    const { runServiceCli } = await import("./service/run-service-cli.ts");
    process.exit(await runServiceCli(process.argv.slice(3)));
  }
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
    process.stdout.write(`${versionLine()}\n`);
    return;
  }
  if (command.kind === "config") {
    process.exit(runConfigCommand(command));
  }
  let relay: RunningRelay;
  const logFormat = command.config.logFormat ?? (process.stderr.isTTY ? "text" : "json");
  try {
    relay = await startRelay({ config: { ...command.config, logFormat }, env: withoutNpmBinDirectories(process.env) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agent-relay: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`agent-relay: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (process.stderr.isTTY) process.stderr.write(relay.banner(logFormat) + "\n");
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
