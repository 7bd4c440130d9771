import { describe, expect, test } from "bun:test";
import { ProcessHandoffs } from "../../src/backends/claude/process-handoffs.ts";
import type { ProcessIdentity } from "../../src/backends/claude/recycled-processes.ts";

const client = (clientKey: string): ProcessIdentity => ({ clientKey, spawnKey: "spawn", lateKey: "late" });
const a = client("a");
const b = client("b");
const never = new AbortController().signal;

describe("ProcessHandoffs: waiting for a freed process instead of starting one", () => {
  test("nothing to wait for when no process of the same client and settings is answering", () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    expect(handoffs.shouldWait(a)).toBe(false);
    handoffs.begin({}, b, true);
    expect(handoffs.shouldWait(a)).toBe(false);
  });

  test("a start-up begun earlier serves one waiter; the next request starts a process of its own", () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const now = Date.now();
    handoffs.begin({}, a, true);
    expect(handoffs.shouldWait(a, now + 5)).toBe(true);
    void handoffs.wait(a, 1000, never);
    expect(handoffs.shouldWait(a, now + 5)).toBe(false);
  });

  test("a ready process answering a turn serves as many waiters as fit in a start-up's time", () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    handoffs.begin({}, a, false);
    let waiters = 0;
    while (handoffs.shouldWait(a) && waiters < 100) {
      void handoffs.wait(a, 1000, never);
      waiters++;
    }
    // Until measured: a start-up 2 s, a turn 0.3 s.
    expect(waiters).toBe(6);
  });

  test("a freed process wakes a waiter of the same identity only", async () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const forA = handoffs.wait(a, 10_000, never);
    const forB = handoffs.wait(b, 50, never);
    handoffs.freed(a);
    expect(await forA).toBe(true);
    expect(await forB).toBe(false);
    expect(handoffs.waiting).toBe(0);
  });

  test("a wait ends when the client goes away", async () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const controller = new AbortController();
    const waiting = handoffs.wait(a, 10_000, controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    expect(handoffs.waiting).toBe(0);
  });

  test("an answered or forgotten ticket no longer counts; the wait limit follows measured start-ups", () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const ticket = {};
    handoffs.begin(ticket, a, true);
    handoffs.answered(ticket);
    expect(handoffs.shouldWait(a)).toBe(false);
    expect(handoffs.waitLimitMs()).toBeLessThan(2000);
    const failed = {};
    handoffs.begin(failed, a, true);
    handoffs.forget(failed);
    expect(handoffs.shouldWait(a)).toBe(false);
  });

  test("with recycling off nobody waits", () => {
    const handoffs = new ProcessHandoffs({ enabled: false });
    handoffs.begin({}, a, false);
    expect(handoffs.shouldWait(a)).toBe(false);
  });
});
