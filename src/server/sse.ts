/**
 * The one place that knows Server-Sent Events bytes. Protocol renderers produce frames; this file encodes
 * them, interleaves keepalives while the source is quiet, and stops the source when the client goes away.
 */

/** One SSE frame: a named or unnamed event with JSON (or literal string) data, or a comment. */
export type SseFrame = { event?: string; data: unknown } | { comment: string };

const encoder = new TextEncoder();

export function encodeSseFrame(frame: SseFrame): Uint8Array {
  if ("comment" in frame) return encoder.encode(`: ${frame.comment}\n\n`);
  // Objects are JSON-encoded, so data never contains a raw newline that would split the event.
  const data = typeof frame.data === "string" ? frame.data : JSON.stringify(frame.data);
  return encoder.encode(frame.event ? `event: ${frame.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
}

export interface SseResponseOptions {
  /** The rendered frames. Renderers turn failures into error frames themselves. */
  frames: AsyncIterable<SseFrame>;
  /** Sent whenever the source has been quiet for `keepaliveIntervalMs`. */
  keepaliveFrame: SseFrame;
  keepaliveIntervalMs: number;
  headers?: Record<string, string>;
  /** Called once when the client goes away before the stream ended. */
  onCancel?: () => void;
  /**
   * A client that takes nothing for this long while a frame waits is cut off (--write-timeout): it holds a
   * slot and a CLI otherwise. Bun stops pulling while the socket is full, so a waiting frame means a stalled reader.
   */
  writeTimeoutMs?: number;
  /** Called once when the write timeout cut the stream (then the source is stopped as on a cancel). */
  onWriteTimeout?: () => void;
}

export function createSseResponse(options: SseResponseOptions): Response {
  const iterator = options.frames[Symbol.asyncIterator]();
  const keepalive = encodeSseFrame(options.keepaliveFrame);
  let finished = false;
  let lastWriteAt = Date.now();
  /** When the client last took a frame (Bun pulls the next one only once the previous is on its way). */
  let lastPullAt = Date.now();
  let keepaliveTimer: Timer | undefined;
  let writeTimer: Timer | undefined;
  const finish = () => {
    finished = true;
    clearInterval(keepaliveTimer);
    clearInterval(writeTimer);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // One timer per stream (not one per frame): it only writes when nothing else was written for a whole interval.
      keepaliveTimer = setInterval(() => {
        if (finished || Date.now() - lastWriteAt < options.keepaliveIntervalMs) return;
        // A client that has not taken the last frame does not need a keepalive; queuing one would only grow memory.
        if ((controller.desiredSize ?? 1) <= 0) return;
        lastWriteAt = Date.now();
        controller.enqueue(keepalive);
      }, options.keepaliveIntervalMs);
      const writeTimeoutMs = options.writeTimeoutMs;
      if (writeTimeoutMs === undefined) return;
      writeTimer = setInterval(() => {
        if (finished || (controller.desiredSize ?? 1) > 0 || Date.now() - lastPullAt < writeTimeoutMs) return;
        finish();
        options.onWriteTimeout?.();
        iterator.return?.()?.catch(() => {});
        controller.error(new Error("write timeout: the client stopped reading"));
      }, Math.max(10, Math.min(1000, writeTimeoutMs / 4)));
    },
    async pull(controller) {
      lastPullAt = Date.now();
      try {
        const next = await iterator.next();
        if (finished) return;
        if (next.done) {
          finish();
          controller.close();
          return;
        }
        lastWriteAt = Date.now();
        controller.enqueue(encodeSseFrame(next.value));
      } catch {
        // A renderer that failed to render its own error: end the stream rather than hang it.
        if (finished) return;
        finish();
        controller.close();
      }
    },
    cancel() {
      if (finished) return;
      finish();
      options.onCancel?.();
      // Not awaited: a generator suspended in an await only returns once that await settles.
      iterator.return?.()?.catch(() => {});
    },
  });

  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...options.headers,
    },
  });
}
