import type { RelayConfig } from "../config.ts";
import type { RelayBackend } from "../core/relay-backend.ts";
import type { InspectorRecorder } from "../inspector/inspector-recorder.ts";
import type { InspectorStore } from "../store/inspector-store.ts";
import type { RelayError } from "../core/relay-error.ts";
import type { ResponseStore } from "../store/response-store.ts";
import type { RelayRequestObserver } from "./serve-relay-request.ts";
import type { Logger } from "../util/logger.ts";
import type { BackendLoginStatus } from "./backend-login-status.ts";
import type { RelayMetrics } from "./metrics.ts";

/** What the app needs from the outside; tests build it with fakes of the outside world only. */
export interface AppDependencies {
  config: RelayConfig;
  backend: RelayBackend;
  metrics: RelayMetrics;
  log: Logger;
  version: string;
  startedAt: Date;
  /**
   * Stored Responses API responses; without one, the app keeps them in memory for its lifetime. An error
   * when the database could not be opened: the Responses API answers with it, the rest keeps working.
   */
  responseStore?: ResponseStore | RelayError;
  /** What requests showed about the backend's login; the app keeps its own when none is given. */
  loginStatus?: BackendLoginStatus;
  /** The request log behind /inspector; without it the page and its API are not served. */
  inspectorStore?: InspectorStore;
  /** The inspector's recorder (its live feed, and requests the hub does not serve such as 401s). */
  recorder?: InspectorRecorder;
  /** What watches every request the hub serves: the recorder and telemetry, combined. */
  observer?: RelayRequestObserver;
  /** Lifts Bun's idle timeout for one request (set once the server is listening). */
  disableIdleTimeout(request: Request): void;
}
