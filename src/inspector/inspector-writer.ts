/**
 * Where the recorder's built entries are stored: in this thread (the store itself), or on the writer thread
 * (inspector-writer-worker.ts) with its own database connection, which takes the inserts off the thread that
 * serves requests. The in-memory database cannot be shared between connections, so it is always written here.
 */
import type { InspectorStore } from "../store/inspector-store.ts";
import type { InspectorEntry } from "./inspector-record.ts";
import { entryJson } from "./request-recording.ts";

/** Stores batches of finished requests; each promise resolves when the batch is committed. */
export interface InspectorEntryWriter {
  write(entries: InspectorEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** Which database the writer thread opens (the options of openRelayDatabase). */
export interface WriterTarget {
  databaseUrl?: string;
  dataDir: string;
}

/** A message to the writer thread; `id` pairs it with its reply. */
export type WriterRequest =
  | { id: number; type: "open"; target: WriterTarget }
  | { id: number; type: "write"; entries: string }
  | { id: number; type: "close" };

/** The writer thread's answer to one request. */
export interface WriterReply {
  id: number;
  error?: string;
}

/** Writes on the calling thread: the store's own transaction. */
export function writeInThisThread(store: InspectorStore): InspectorEntryWriter {
  return {
    write: (entries) => store.write(entries),
    close: async () => {
      await store.indexText();
    },
  };
}

/** How long start() waits for the thread to load and open its connection. */
const startTimeoutMs = 15_000;
/** How long close() waits for the writer thread to commit what it was given and close its connection. */
const closeTimeoutMs = 10_000;

export class WorkerInspectorWriter implements InspectorEntryWriter {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  /** Set when the thread died: later batches are written by the fallback instead of waiting for no reply. */
  private failed = false;

  private constructor(private readonly worker: Worker, private readonly fallback: InspectorEntryWriter) {
    worker.onmessage = (event: MessageEvent<WriterReply>) => {
      const pending = this.waiting.get(event.data.id);
      this.waiting.delete(event.data.id);
      if (event.data.error) pending?.reject(new Error(event.data.error));
      else pending?.resolve();
    };
    worker.onerror = (event) => {
      this.failed = true;
      this.failAll(new Error(`the inspector writer thread failed: ${event.message}`));
    };
  }

  /**
   * Starts the thread and opens its connection; rejects (thread ended) when it cannot. `fallback` writes the
   * batches if the thread dies later.
   */
  static async start(options: { workerUrl: URL | string; target: WriterTarget; fallback: InspectorEntryWriter }): Promise<WorkerInspectorWriter> {
    const writer = new WorkerInspectorWriter(new Worker(options.workerUrl), options.fallback);
    // Shutdown waits for close(), not for an idle thread.
    writer.worker.unref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the writer thread did not open the database within ${startTimeoutMs} ms`)), startTimeoutMs);
    });
    try {
      await Promise.race([writer.send({ type: "open", target: options.target }), timedOut]);
    } catch (error) {
      writer.worker.terminate();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return writer;
  }

  write(entries: InspectorEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.failed) return this.fallback.write(entries);
    // JSON text: one string to copy to the thread, cheaper than a structured clone of the object graph.
    return this.send({ type: "write", entries: `[${entries.map(entryJson).join(",")}]` });
  }

  async close(): Promise<void> {
    if (this.failed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)));
    await Promise.race([this.send({ type: "close" }).catch(() => {}), timedOut]);
    clearTimeout(timer);
    this.worker.terminate();
    this.failAll(new Error("the inspector writer thread was closed"));
  }

  private send(request: DistributiveOmit<WriterRequest, "id">): Promise<void> {
    const id = ++this.nextId;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  private failAll(error: Error): void {
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
