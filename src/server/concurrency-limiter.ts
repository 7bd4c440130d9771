/**
 * A bounded number of simultaneous backend processes, with a bounded waiting queue in arrival order.
 * Only a full queue turns a client away, with a retry-after estimated from recent request durations.
 */
import { RelayError } from "../core/relay-error.ts";

interface Waiter {
  grant: (release: () => void) => void;
  fail: (error: unknown) => void;
}

export class ConcurrencyLimiter {
  private activeCount = 0;
  private readonly waiters: Waiter[] = [];
  private closed = false;
  private averageDurationMs = 5000;

  constructor(private readonly limits: { maxActive: number; maxQueued: number }) {}

  get active(): number {
    return this.activeCount;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Waits for a slot. Rejects at once when the queue is full, and when `signal` aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closed) {
      return Promise.reject(new RelayError("unavailable", "The relay is shutting down.", { retryable: true, retryAfterSeconds: 1 }));
    }
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    if (this.activeCount < this.limits.maxActive) return Promise.resolve(this.grantSlot());
    if (this.waiters.length >= this.limits.maxQueued) {
      return Promise.reject(
        new RelayError(
          "rate_limit",
          `Too many concurrent requests: ${this.activeCount} running and ${this.waiters.length} waiting. Retry shortly.`,
          { code: "queue_full", retryable: true, retryAfterSeconds: this.retryAfterSeconds() },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
        fail: reject,
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses new requests and fails every waiting one. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.fail(new RelayError("unavailable", "The relay is shutting down.", { retryable: true, retryAfterSeconds: 1 }));
    }
  }

  private grantSlot(): () => void {
    this.activeCount++;
    const startedAt = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.averageDurationMs = 0.8 * this.averageDurationMs + 0.2 * (performance.now() - startedAt);
      const next = this.waiters.shift();
      if (next) {
        // The slot passes straight to the next waiter; the active count stays the same.
        this.activeCount--;
        next.grant(this.grantSlot());
      } else {
        this.activeCount--;
      }
    };
  }

  private retryAfterSeconds(): number {
    const estimate = (this.averageDurationMs * (this.waiters.length + 1)) / this.limits.maxActive / 1000;
    return Math.min(60, Math.max(1, Math.ceil(estimate)));
  }
}
