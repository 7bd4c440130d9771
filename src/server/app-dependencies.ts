import type { RelayConfig } from "../config.ts";
import type { RelayBackend } from "../core/relay-backend.ts";
import type { InspectorRecorder } from "../inspector/inspector-recorder.ts";
import type { InspectorStore } from "../store/inspector-store.ts";
import type { ResponseStore } from "../store/response-store.ts";
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
  /** Stored Responses API responses; without one, the app keeps them in memory for its lifetime. */
  responseStore?: ResponseStore;
  /** The request log behind /inspector; without it the page and its API are not served. */
  inspectorStore?: InspectorStore;
  /** Records every request for the inspector (the hub calls it); absent or capture "none": nothing recorded. */
  recorder?: InspectorRecorder;
  /** Lifts Bun's idle timeout for one request (set once the server is listening). */
  disableIdleTimeout(request: Request): void;
}
