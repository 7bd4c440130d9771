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
  let pending: Promise<IteratorResult<SseFrame>> | undefined;
  let finished = false;

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      pending ??= iterator.next();
      let timer: Timer | undefined;
      const quiet = new Promise<"quiet">((resolve) => (timer = setTimeout(() => resolve("quiet"), options.keepaliveIntervalMs)));
      try {
        const next = await Promise.race([pending, quiet]);
        if (next === "quiet") {
          controller.enqueue(keepalive);
          return;
        }
        pending = undefined;
        if (next.done) {
          finished = true;
          controller.close();
          return;
        }
        controller.enqueue(encodeSseFrame(next.value));
      } catch {
        // A renderer that failed to render its own error: end the stream rather than hang it.
        finished = true;
        controller.close();
      } finally {
        clearTimeout(timer);
      }
    },
    cancel() {
      if (finished) return;
      finished = true;
      options.onCancel?.();
      pending?.catch(() => {});
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
