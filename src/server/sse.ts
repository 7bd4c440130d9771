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
}

export function createSseResponse(options: SseResponseOptions): Response {
  const iterator = options.frames[Symbol.asyncIterator]();
  const keepalive = encodeSseFrame(options.keepaliveFrame);
  let finished = false;
  let lastWriteAt = Date.now();
  let keepaliveTimer: Timer | undefined;
  const finish = () => {
    finished = true;
    clearInterval(keepaliveTimer);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // One timer per stream (not one per frame): it only writes when nothing else was written for a whole interval.
      keepaliveTimer = setInterval(() => {
        if (finished || Date.now() - lastWriteAt < options.keepaliveIntervalMs) return;
        lastWriteAt = Date.now();
        controller.enqueue(keepalive);
      }, options.keepaliveIntervalMs);
    },
    async pull(controller) {
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
