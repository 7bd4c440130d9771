/**
 * The inspector's recorder: an observer of the hub. serveRelayRequest hands it every request (whatever the
 * protocol or backend); it keeps a recording while the request runs and, when it ends, queues a reference to
 * it. A writer drains the queue in small slices, off the request path: it builds each entry (folding,
 * fingerprints, masking, caps) and hands it to the entry writer (the writer thread in the relay, see
 * inspector-writer.ts), one slice at a time. When the writer falls behind, bodies are dropped first
 * (counted in /metrics), then whole rows, so a request never waits for the log. Retention runs in small
 * steps on a timer.
 */
import { requestPath } from "../server/request-guard.ts";
import { createHash } from "node:crypto";
import type { RelayError } from "../core/relay-error.ts";
import type { RelayBackendEvent } from "../core/relay-event.ts";
import type { RelayMetrics } from "../server/metrics.ts";
import { requestBodyOf } from "../server/request-body.ts";
import type { InspectorStore } from "../store/inspector-store.ts";
import type { Logger } from "../util/logger.ts";
import { InspectorLiveFeed } from "./inspector-live-feed.ts";
import type { InspectorEntry } from "./inspector-record.ts";
import { writeInThisThread, type InspectorEntryWriter } from "./inspector-writer.ts";
import { RequestRecording, type RecordingStart } from "./request-recording.ts";
import { scrubHeaders } from "./scrub-secrets.ts";

export type CaptureMode = "all" | "errors" | "none";

export interface InspectorRecorderOptions {
  store: InspectorStore;
  /** Stores built entries (the writer thread, or by default the store on this thread); closed with the recorder. */
  writer?: InspectorEntryWriter;
  capture: CaptureMode;
  bodyMaxBytes: number;
  redactHeaders: string[];
  retentionMs: number;
  bodyRetentionMs: number;
  maxBytes: number;
  metrics: RelayMetrics;
  log: Logger;
  /** The client's address, from the server. */
  remoteAddress?: (request: Request) => string | undefined;
  /** How long entries wait to be written together. */
  flushIntervalMs?: number;
  /** Above this many queued entries, new entries lose their bodies; above four times it, they are dropped. */
  maxQueuedBodies?: number;
  pruneIntervalMs?: number;
}

/** What serveRelayRequest calls while a request runs. */
export interface RequestObservation {
  /** An event of the answer, or a report of the backend (a tool it ran itself). */
  event(event: RelayBackendEvent): void;
  finish(outcome: { status: number; error?: RelayError }): void;
}

/**
 * A finished request waiting for the writer: a reference to its recording, not yet an entry. Building the
 * entry (folding the answer, fingerprints, masking secrets, capping bodies) runs on the writer, after the
 * answer went out; the queue is bounded, so at most `maxQueuedBodies` recordings keep their bodies.
 */
interface QueuedRequest {
  build(withBodies: boolean): Promise<InspectorEntry>;
  withBodies: boolean;
  bodiesSkipped?: InspectorEntry["details"]["bodiesSkipped"];
}

export class InspectorRecorder {
  readonly feed = new InspectorLiveFeed();
  private queue: QueuedRequest[] = [];
  private writing: Promise<void> | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pruneTimer: ReturnType<typeof setInterval> | undefined;
  private readonly running = new Map<string, RequestRecording>();
  private closed = false;
  private readonly writer: InspectorEntryWriter;

  constructor(private readonly options: InspectorRecorderOptions) {
    this.writer = options.writer ?? writeInThisThread(options.store);
    if (options.capture !== "none") {
      this.pruneTimer = setInterval(() => void this.pruneStep(), options.pruneIntervalMs ?? 60_000);
      this.pruneTimer.unref?.();
    }
  }

  get enabled(): boolean {
    return this.options.capture !== "none";
  }

  /** Requests running now, for the live list of a page that just opened. */
  runningRequests() {
    return [...this.running.values()].map((recording) => recording.liveSummary());
  }

  /** Starts recording a relay request; undefined when capture is off. */
  observe(start: RecordingStart): RequestObservation | undefined {
    if (!this.enabled || this.closed) return undefined;
    const headers = start.request.headers;
    const recording = new RequestRecording(start, {
      headers: scrubHeaders(headers, this.options.redactHeaders),
      clientKeyHash: credentialHash(headers),
      remoteAddress: this.options.remoteAddress?.(start.request) ?? null,
      body: requestBodyOf(start.request),
      bodyMaxBytes: this.options.bodyMaxBytes,
    });
    this.running.set(recording.id, recording);
    this.publishLive("started", recording);
    let lastProgress = 0;
    return {
      event: (event) => {
        recording.event(event);
        if (this.feed.subscribers > 0 && performance.now() - lastProgress > 250) {
          lastProgress = performance.now();
          this.publishLive("progress", recording);
        }
      },
      finish: (outcome) => {
        recording.finished();
        this.running.delete(recording.id);
        const failed = outcome.status >= 400 || outcome.error !== undefined;
        const withBodies = this.options.capture === "all" || (this.options.capture === "errors" && failed);
        this.enqueue((bodies) => recording.toEntry(outcome, bodies), withBodies);
      },
    };
  }

  /** A request the hub did not serve (a 401, a 404): its metadata only. */
  recordPlain(input: { request: Request; requestId: string; status: number; startedAt: number }): void {
    if (!this.enabled || this.closed) return;
    const { request } = input;
    const entry: InspectorEntry = {
      summary: {
        id: input.requestId, startedAt: Date.now() - Math.round(performance.now() - input.startedAt), durationMs: Math.round(performance.now() - input.startedAt),
        ttftMs: null, protocol: "http", method: request.method, path: requestPath(request), stream: false, status: input.status, errorKind: null, errorMessage: null,
        requestedModel: null, responseModel: null, provider: null, providerModel: null, servedPath: null, clientKeyHash: credentialHash(request.headers),
        userAgent: request.headers.get("user-agent"), remoteAddress: this.options.remoteAddress?.(request) ?? null, sessionId: null, agentId: null,
        parentAgentId: null, conversationId: null, responseId: null, previousResponseId: null, usage: null, stopReason: null, toolNames: null, agentToolNames: null, preview: null,
      },
      details: { warnings: [], headers: scrubHeaders(request.headers, this.options.redactHeaders) },
    };
    this.enqueue(async () => entry, false);
  }

  /** Writes everything queued (tests and shutdown). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.writing) {
      if (!this.writing) this.startWriting();
      await this.writing;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flush();
    await this.writer.close();
  }

  /** One retention step; returns whether it removed anything. */
  async pruneStep(): Promise<boolean> {
    try {
      const removed = await this.options.store.prune({
        now: Date.now(),
        retentionMs: this.options.retentionMs,
        bodyRetentionMs: this.options.bodyRetentionMs,
        maxBytes: this.options.maxBytes,
        batchSize: 200,
      });
      const any = removed.bodies + removed.rows + removed.blobs > 0;
      if (any) this.options.log.debug("inspector retention", removed);
      return any;
    } catch (error) {
      this.options.log.warn("inspector retention failed", { error: String(error) });
      return false;
    }
  }

  /** Queues a finished request for the writer: constant work on the request path, nothing is built here. */
  private enqueue(build: QueuedRequest["build"], withBodies: boolean): void {
    const maxQueued = this.options.maxQueuedBodies ?? 500;
    if (this.queue.length >= maxQueued * 4) {
      this.options.metrics.inspectorDropped.inc({ what: "rows" });
      return;
    }
    if (withBodies && this.queue.length >= maxQueued) {
      this.options.metrics.inspectorDropped.inc({ what: "bodies" });
      this.queue.push({ build, withBodies: false, bodiesSkipped: "writer-behind" });
    } else {
      this.queue.push({ build, withBodies, bodiesSkipped: withBodies ? undefined : "capture-mode" });
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      if (!this.writing) this.startWriting();
    }, this.options.flushIntervalMs ?? 100);
  }

  /** Builds a queued request's entry; undefined (logged) when that fails. */
  private async built(queued: QueuedRequest): Promise<InspectorEntry | undefined> {
    try {
      const entry = await queued.build(queued.withBodies);
      if (queued.bodiesSkipped && !entry.bodies && entry.summary.protocol !== "http") entry.details.bodiesSkipped = queued.bodiesSkipped;
      return entry;
    } catch (error) {
      this.options.log.warn("inspector could not record a request", { error: String(error) });
      return undefined;
    }
  }

  private startWriting(): void {
    const batch = this.queue.splice(0, 200);
    this.writing = (async () => {
      // Entries are built and written in small slices (ten, or fewer when building them took more than a
      // millisecond), with a turn of the event loop between slices: SQLite commits synchronously, and building
      // an agent's entry can take milliseconds, so requests proceed in between instead of waiting behind the
      // whole batch.
      let next = 0;
      while (next < batch.length) {
        const slice: InspectorEntry[] = [];
        const sliceStarted = performance.now();
        for (let count = 0; count < 10 && next < batch.length && performance.now() - sliceStarted < 1; count++) {
          const entry = await this.built(batch[next++]);
          if (entry) slice.push(entry);
        }
        try {
          await this.writer.write(slice);
          await this.publishStored(slice.map((entry) => entry.summary.id));
        } catch (error) {
          this.options.log.warn("inspector could not write requests", { error: String(error), count: slice.length });
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0 && !this.flushTimer) this.startWriting();
    });
  }

  private async publishStored(ids: string[]): Promise<void> {
    if (this.feed.subscribers === 0) return;
    for (const summary of await this.options.store.summaries(ids.slice(0, 200))) this.feed.publish({ type: "stored", request: summary });
  }

  private publishLive(type: "started" | "progress", recording: RequestRecording): void {
    if (this.feed.subscribers > 0) this.feed.publish({ type, request: recording.liveSummary() });
  }
}

/** sha256 of the credential the client presented (none: null), so requests group by client without storing keys. */
function credentialHash(headers: Headers): string | null {
  const credential = headers.get("authorization") ?? headers.get("x-api-key");
  return credential ? createHash("sha256").update(credential).digest("hex") : null;
}
