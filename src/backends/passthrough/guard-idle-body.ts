/**
 * An upstream body that fails when the upstream stays silent for too long between chunks: the upstream
 * request is aborted and the body errors with the given error (the observer records it; the client's
 * connection ends instead of hanging on a provider that stopped sending).
 */
import type { RelayError } from "../../core/relay-error.ts";

export interface IdleGuard {
  timeoutMs: number;
  /** Aborts the upstream request. */
  abortUpstream(reason: RelayError): void;
  timeoutError(): RelayError;
}

export function guardIdleBody(body: ReadableStream<Uint8Array>, guard: IdleGuard): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timedOut: RelayError | undefined;
      const timer = setTimeout(() => {
        timedOut = guard.timeoutError();
        guard.abortUpstream(timedOut);
      }, guard.timeoutMs);
      try {
        const next = await reader.read();
        if (timedOut) throw timedOut;
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        controller.error(timedOut ?? error);
      } finally {
        clearTimeout(timer);
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
    },
  });
}
