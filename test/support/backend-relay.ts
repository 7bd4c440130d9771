/**
 * Serves the real app on a free port with one given backend (an HTTP upstream backend against the project's
 * own fakes), and captures its log lines: for tests of backends that need no claude CLI.
 */
import { createApp } from "../../src/app.ts";
import { parseCommand } from "../../src/config.ts";
import type { RelayBackend } from "../../src/core/relay-backend.ts";
import { RelayMetrics } from "../../src/server/metrics.ts";
import { createProviderBackend } from "../../src/backends/provider-factories.ts";
import { parseRoutingFile } from "../../src/config/load-routing-file.ts";
import { RouterBackend } from "../../src/router/router-backend.ts";
import { createLogger, silentLogger } from "../../src/util/logger.ts";

export interface BackendRelay {
  url: string;
  logs: Array<Record<string, any>>;
  metrics: RelayMetrics;
  /** The "request completed/failed/cancelled" log lines, in order. */
  requestLines(): Array<Record<string, any>>;
  /** Waits until `count` requests have their log line (they are written when the body ended). */
  waitForRequestLines(count: number, timeoutMs?: number): Promise<Array<Record<string, any>>>;
  stop(): Promise<void>;
}

export function startBackendRelay(backend: RelayBackend, args: string[] = []): BackendRelay {
  const command = parseCommand(["--port", "0", ...args], {});
  if (command.kind !== "serve") throw new Error("unexpected command");
  const logs: Array<Record<string, any>> = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const metrics = new RelayMetrics(() => backend.load());
  let server: ReturnType<typeof Bun.serve> | undefined;
  const app = createApp({ config: command.config, backend, metrics, log, version: "test", startedAt: new Date(), disableIdleTimeout: (request) => server?.timeout(request, 0) });
  app.listen({ hostname: "127.0.0.1", port: 0 });
  server = app.server!;
  const requestLines = () => logs.filter((line) => /^request (completed|failed|cancelled)/.test(String(line.msg ?? line.message)));
  return {
    url: `http://127.0.0.1:${server.port}`,
    logs,
    metrics,
    requestLines,
    async waitForRequestLines(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requestLines().length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} request log lines, got ${requestLines().length}`);
        await Bun.sleep(10);
      }
      return requestLines();
    },
    async stop() {
      await backend.shutdown(0);
      await server!.stop(true);
    },
  };
}

/**
 * Serves the app with the HTTP providers of a routing file (YAML text; the claude CLI provider is left out),
 * built exactly as the relay builds them: the file's parser, the provider factories and the router.
 */
export function startRoutedRelay(yaml: string, env: Record<string, string | undefined> = {}): BackendRelay {
  const routing = parseRoutingFile(yaml, { path: "routing-test.yaml", env });
  const command = parseCommand(["--port", "0"], {});
  if (command.kind !== "serve") throw new Error("unexpected command");
  const providers = new Map<string, RelayBackend>();
  const context = { config: command.config, env, log: silentLogger, metrics: new RelayMetrics(() => ({ active: 0, queued: 0 })) };
  for (const provider of routing.providers.values()) {
    if (provider.type !== "claude-cli") providers.set(provider.name, createProviderBackend(provider, context));
  }
  return startBackendRelay(new RouterBackend({ providers, routes: { ...routing.routes, providers: [...providers.keys()] }, log: silentLogger }));
}
