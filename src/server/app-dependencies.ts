import type { RelayConfig } from "../config.ts";
import type { RelayBackend } from "../core/relay-backend.ts";
import type { Logger } from "../util/logger.ts";
import type { RelayMetrics } from "./metrics.ts";

/** What the app needs from the outside; tests build it with fakes of the outside world only. */
export interface AppDependencies {
  config: RelayConfig;
  backend: RelayBackend;
  metrics: RelayMetrics;
  log: Logger;
  version: string;
  startedAt: Date;
  /** Lifts Bun's idle timeout for one request (set once the server is listening). */
  disableIdleTimeout(request: Request): void;
}
