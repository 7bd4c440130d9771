import { describe, expect, test } from "bun:test";
import { RelayError } from "../../src/core/relay-error.ts";
import { ConcurrencyLimiter } from "../../src/server/concurrency-limiter.ts";

/** Lets pending promise callbacks run. */
const settle = () => Bun.sleep(0);

/** Tracks whether a promise has settled yet. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe("ConcurrencyLimiter", () => {
  test("grants up to maxActive at once, then queues", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 2, maxQueued: 5 });
    await limiter.acquire();
    await limiter.acquire();
    const third = track(limiter.acquire());
    await settle();
    expect(third.settled).toBe(false);
    expect({ active: limiter.active, queued: limiter.queued }).toEqual({ active: 2, queued: 1 });
  });

  test("release hands the slot to the next waiter, in arrival order", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 5 });
    const release = await limiter.acquire();
    const order: string[] = [];
    const waiters = ["a", "b", "c"].map((name) => limiter.acquire().then((releaseNext) => (order.push(name), releaseNext)));
    await settle();
    expect(order).toEqual([]);
    release();
    const releaseA = await waiters[0];
    expect(order).toEqual(["a"]);
    expect({ active: limiter.active, queued: limiter.queued }).toEqual({ active: 1, queued: 2 });
    releaseA();
    (await waiters[1])();
    (await waiters[2])();
    expect(order).toEqual(["a", "b", "c"]);
    expect({ active: limiter.active, queued: limiter.queued }).toEqual({ active: 0, queued: 0 });
  });

  test("releasing twice frees only one slot", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 2, maxQueued: 5 });
    const release = await limiter.acquire();
    await limiter.acquire();
    release();
    release();
    expect(limiter.active).toBe(1);
  });

  test("a full queue rejects at once with rate_limit 429 and a retry-after", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 1 });
    await limiter.acquire();
    void limiter.acquire();
    const error = await limiter.acquire().catch((caught) => caught);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ kind: "rate_limit", status: 429, retryable: true, code: "queue_full" });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(limiter.queued).toBe(1);
  });

  test("maxQueued 0 rejects as soon as every slot is taken", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 0 });
    await limiter.acquire();
    await expect(limiter.acquire()).rejects.toMatchObject({ kind: "rate_limit", status: 429 });
  });

  test("a waiter whose signal aborts leaves the queue and is rejected with the abort reason", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 5 });
    const release = await limiter.acquire();
    const controller = new AbortController();
    const aborted = track(limiter.acquire(controller.signal));
    const next = track(limiter.acquire());
    await settle();
    expect(limiter.queued).toBe(2);
    const reason = new Error("client went away");
    controller.abort(reason);
    await settle();
    expect(aborted.error).toBe(reason);
    expect(limiter.queued).toBe(1);
    // The slot goes to the waiter behind it, not to the one that left.
    release();
    await settle();
    expect(next.settled).toBe(true);
    expect(next.error).toBeUndefined();
    expect(limiter.active).toBe(1);
  });

  test("an aborted waiter frees its queue place for a new request", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal).catch(() => "aborted");
    controller.abort();
    expect(await waiting).toBe("aborted");
    const again = track(limiter.acquire());
    await settle();
    expect(again.error).toBeUndefined();
    expect(limiter.queued).toBe(1);
  });

  // A client that left before its request reached the queue must not take a place others get 429 for.
  test("a signal that is already aborted is rejected at once and takes no queue place", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    const waiting = track(limiter.acquire(controller.signal));
    await settle();
    expect(waiting.error).toBeInstanceOf(Error);
    expect(limiter.queued).toBe(0);
  });

  test("close() fails every waiter with unavailable 503 and refuses new requests", async () => {
    const limiter = new ConcurrencyLimiter({ maxActive: 1, maxQueued: 5 });
    await limiter.acquire();
    const waiters = [limiter.acquire().catch((error) => error), limiter.acquire().catch((error) => error)];
    limiter.close();
    for (const error of await Promise.all(waiters)) {
      expect(error).toBeInstanceOf(RelayError);
      expect(error).toMatchObject({ kind: "unavailable", status: 503, retryable: true });
    }
    expect(limiter.queued).toBe(0);
    await expect(limiter.acquire()).rejects.toMatchObject({ kind: "unavailable", status: 503 });
  });
});
