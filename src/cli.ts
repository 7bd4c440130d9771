#!/usr/bin/env -S bun --no-env-file
/**
 * The command-line entry: the only file that reads argv and the environment and calls listen.
 */
import { join } from "node:path";
import { createApp } from "./app.ts";
import { ClaudeBackend } from "./backends/claude/claude-backend.ts";
import { ConfigError, helpText, parseCommand, type RelayConfig } from "./config.ts";
import { RelayMetrics } from "./server/metrics.ts";
import { prepareDataDirectory, privateFile } from "./util/private-files.ts";
import { withoutNpmBinDirectories, withoutRelayVariables } from "./util/relay-environment.ts";
import { renderStartupBanner } from "./server/startup-banner.ts";
import { RelayError } from "./core/relay-error.ts";
import { ResponseStore, responseStoreUnavailable } from "./store/response-store.ts";
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
  /** The start-up banner for a terminal. */
  banner(logFormat: "text" | "json"): string;
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
  const { config } = options;
  // The relay's own settings (its API key above all) are not the CLI's business.
  const env = withoutRelayVariables(options.env ?? process.env);
  const log = options.log ?? createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stderr.isTTY ? "text" : "json") });
  const startedAt = new Date();
  let backend: ClaudeBackend | undefined;
  const metrics = new RelayMetrics({
    active: () => backend?.load().active ?? 0,
    queued: () => backend?.load().queued ?? 0,
    processes: () => backend?.load().processes ?? 0,
    held: () => backend?.load().held ?? 0,
    live: () => backend?.load().live ?? 0,
    warm: () => backend?.load().warm ?? 0,
  });
  backend = new ClaudeBackend({
    claudeBin: config.claudeBin,
    workdir: config.workdir,
    idleTimeoutMs: config.idleTimeoutMs,
    killGraceMs: config.killGraceMs,
    maxConcurrent: config.maxConcurrent,
    maxQueue: config.maxQueue,
    maxProcesses: config.maxProcesses,
    warmProcesses: config.warmProcesses,
    warmIdleTimeoutMs: config.warmIdleTimeoutMs,
    maxLiveConversations: config.maxLiveConversations,
    toolHoldTimeoutMs: config.toolHoldTimeoutMs,
    conversationIdleTimeoutMs: config.conversationIdleTimeoutMs,
    observer: metrics.processBackendObserver(),
    defaultModel: config.defaultModel,
    cliMaxRetries: config.cliMaxRetries,
    agent: config.agent,
    agentTools: config.agentTools,
    permissionMode: config.permissionMode,
    relayAddress: { host: config.host, port: config.port },
    maxLineBytes: config.maxLineBytes,
    env,
    log,
  });
  prepareDataDirectory(config.dataDir, log);
  const responseStore = openResponseStore(config, log);
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
  await backend.start();

  listenOrExplain(app, config, options.serverIdleTimeoutSeconds ?? 60);
  server = app.server ?? undefined;
  if (!server) throw new Error("the server did not start");
  const port = server.port ?? config.port;
  // The CLI must not call the relay itself when the user exported ANTHROPIC_BASE_URL for their clients.
  backend.setRelayAddress({ host: config.host, port });
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  log.info("agent-relay listening", {
    url,
    version,
    agent_mode: config.agent,
    workdir: config.workdir,
    auth: config.apiKey ? "api-key" : "none (loopback only)",
    claude: backend.health().details,
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      log.info("shutting down", { grace_ms: config.shutdownGraceMs, active: backend.load().active });
      const closing = server!.stop(false);
      await backend.shutdown(config.shutdownGraceMs);
      await Promise.race([closing, Bun.sleep(1000)]);
      await server!.stop(true);
      if (responseStore instanceof ResponseStore) responseStore.close();
      log.info("stopped");
    })());
  return {
    url,
    port,
    shutdown,
    forceStop: () => backend.killAll(),
    processIds: () => backend.processes.pids(),
    banner: (logFormat) => {
      const health = backend.health();
      const details = health.details as { path?: string | null; version?: string | null };
      return renderStartupBanner({
        url,
        version,
        claude: { path: details.path ?? null, version: details.version ?? null, problem: health.reason },
        requiresKey: Boolean(config.apiKey),
        agent: config.agent,
        dataDir: config.dataDir,
        logFormat,
      });
    },
  };
}

/** The Responses API store; when its database cannot be used, the error it answers with (the rest of the relay still starts). */
function openResponseStore(config: RelayConfig, log: Logger): ResponseStore | RelayError {
  const path = join(config.dataDir, "responses.sqlite");
  try {
    return ResponseStore.open({ path: privateFile(path), maxResponses: config.responsesMaxStored, maxAgeMs: config.responsesMaxAgeMs });
  } catch (error) {
    const unavailable = responseStoreUnavailable(path, error);
    log.error("the Responses API store is unavailable; the other endpoints work", { file: path, error: unavailable.detail });
    return unavailable;
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
  let relay: RunningRelay;
  const logFormat = command.config.logFormat ?? (process.stderr.isTTY ? "text" : "json");
  try {
    relay = await startRelay({ config: { ...command.config, logFormat }, env: withoutNpmBinDirectories(process.env) });
  } catch (error) {
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

if (import.meta.main) await main();
