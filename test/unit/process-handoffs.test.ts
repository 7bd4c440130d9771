import { describe, expect, test } from "bun:test";
import { ProcessHandoffs } from "../../src/backends/claude/process-handoffs.ts";
import type { ProcessIdentity } from "../../src/backends/claude/recycled-processes.ts";

const client = (clientKey: string): ProcessIdentity => ({ clientKey, spawnKey: "spawn", lateKey: "late" });
const a = client("a");
const b = client("b");
const never = new AbortController().signal;
/** A claim that always takes the freed process. */
const takeIt = () => "process";

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
    void handoffs.wait(a, 1000, never, takeIt);
    expect(handoffs.shouldWait(a, now + 5)).toBe(false);
  });

  test("a ready process answering a turn serves as many waiters as fit in a start-up's time", () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    handoffs.begin({}, a, false);
    let waiters = 0;
    while (handoffs.shouldWait(a) && waiters < 100) {
      void handoffs.wait(a, 1000, never, takeIt);
      waiters++;
    }
    // Until measured: a start-up 2 s, a turn 0.3 s.
    expect(waiters).toBe(6);
  });

  test("a freed process wakes a waiter of the same identity only", async () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const forA = handoffs.wait(a, 10_000, never, takeIt);
    const forB = handoffs.wait(b, 50, never, takeIt);
    expect(handoffs.freed(a)).toBe(true);
    expect(await forA).toBe("process");
    expect(await forB).toBeUndefined();
    expect(handoffs.waiting).toBe(0);
  });

  test("a wait ends when the client goes away", async () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const controller = new AbortController();
    const waiting = handoffs.wait(a, 10_000, controller.signal, takeIt);
    controller.abort();
    expect(await waiting).toBeUndefined();
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

  test("a freed process goes to the longest waiting request, claimed in the same tick it is freed", async () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const free = ["first-freed", "second-freed"];
    const claimedBy: string[] = [];
    const waiter = (name: string) =>
      handoffs.wait(a, 10_000, never, () => {
        const process = free.shift();
        if (process) claimedBy.push(name);
        return process;
      });
    const oldest = waiter("oldest");
    const middle = waiter("middle");
    const newest = waiter("newest");
    expect(handoffs.freed(a)).toBe(true);
    // Before any await: nothing arriving later can take it first.
    expect(claimedBy).toEqual(["oldest"]);
    expect(handoffs.waiting).toBe(2);
    expect(handoffs.freed(a)).toBe(true);
    expect(claimedBy).toEqual(["oldest", "middle"]);
    expect(await oldest).toBe("first-freed");
    expect(await middle).toBe("second-freed");
    // Nothing left to claim: the newest keeps waiting.
    expect(handoffs.freed(a)).toBe(false);
    expect(handoffs.waiting).toBe(1);
    handoffs.freed(b);
    expect(handoffs.waiting).toBe(1);
    free.push("third-freed");
    handoffs.freed(a);
    expect(await newest).toBe("third-freed");
  });

  test("a process claimed and being cleared counts as busy until its turn begins", () => {
    const handoffs = new ProcessHandoffs({ enabled: true });
    const run = {};
    handoffs.pledge(run, a);
    expect(handoffs.pledged).toBe(1);
    expect(handoffs.shouldWait(a)).toBe(true);
    handoffs.begin(run, a, false);
    expect(handoffs.pledged).toBe(0);
    expect(handoffs.shouldWait(a)).toBe(true);
    handoffs.answered(run);
    expect(handoffs.shouldWait(a)).toBe(false);
  });

  test("when requests keep waiting, their waits add up to a start-up: the next request starts a process", () => {
    let mayGrow = true;
    const handoffs = new ProcessHandoffs({ enabled: true, mayGrow: () => mayGrow });
    handoffs.begin({}, a, false);
    expect(handoffs.shouldWait(a)).toBe(true);
    // Until measured a start-up counts as 2 s: four waits of 600 ms pay for one.
    for (let index = 0; index < 4; index++) handoffs.noteWaited(a, 600);
    mayGrow = false;
    expect(handoffs.shouldWait(a)).toBe(true);
    mayGrow = true;
    expect(handoffs.shouldWait(a)).toBe(false);
    // That start-up is paid for: the next request waits again.
    expect(handoffs.shouldWait(a)).toBe(true);
  });

  test("with recycling off nobody waits", () => {
    const handoffs = new ProcessHandoffs({ enabled: false });
    handoffs.begin({}, a, false);
    expect(handoffs.shouldWait(a)).toBe(false);
  });
});
