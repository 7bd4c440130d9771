import { describe, expect, test } from "bun:test";
import { RecentDemand } from "../../src/backends/claude/recent-demand.ts";

/** A demand tracker on a clock the test moves. */
function tracker(windowMs: number) {
  const clock = { now: 1_000_000 };
  return { demand: new RecentDemand(windowMs, () => clock.now), clock };
}

describe("RecentDemand: the recent peak of concurrent requests", () => {
  test("follows the current level while nothing has ended", () => {
    const { demand } = tracker(30_000);
    expect(demand.recentPeak()).toBe(0);
    demand.rise();
    demand.rise();
    expect(demand.current).toBe(2);
    expect(demand.recentPeak()).toBe(2);
  });

  test("a burst's peak is kept for the window after it ended, then falls back to the current level", () => {
    const { demand, clock } = tracker(30_000);
    for (let index = 0; index < 64; index++) demand.rise();
    clock.now += 5_000;
    for (let index = 0; index < 63; index++) {
      demand.fall();
      clock.now += 100;
    }
    expect(demand.current).toBe(1);
    expect(demand.recentPeak()).toBe(64);
    // The level 64 lasted until the first request ended; the lower levels after it each a little longer.
    clock.now += 30_000 - 63 * 100;
    expect(demand.recentPeak()).toBe(64);
    clock.now += 1;
    expect(demand.recentPeak()).toBeLessThan(64);
    clock.now += 63 * 100;
    expect(demand.recentPeak()).toBe(1);
  });

  test("a level held longer than the window still counts while it lasts", () => {
    const { demand, clock } = tracker(1_000);
    demand.rise();
    demand.rise();
    clock.now += 10_000;
    expect(demand.recentPeak()).toBe(2);
    demand.fall();
    clock.now += 999;
    expect(demand.recentPeak()).toBe(2);
    clock.now += 2;
    expect(demand.recentPeak()).toBe(1);
  });

  test("a burst is draining once fewer than half its peak are in flight; a steady load is not", () => {
    const { demand, clock } = tracker(30_000);
    for (let index = 0; index < 4; index++) demand.rise();
    demand.fall();
    clock.now += 100;
    expect(demand.draining()).toBe(false);
    demand.rise();
    for (let index = 0; index < 60; index++) demand.rise();
    for (let index = 0; index < 63; index++) demand.fall();
    expect(demand.current).toBe(1);
    expect(demand.draining()).toBe(true);
    clock.now += 30_001;
    expect(demand.draining()).toBe(false);
  });

  test("one request that ended is no burst: nothing is draining after it", () => {
    const { demand } = tracker(30_000);
    demand.rise();
    demand.fall();
    expect(demand.recentPeak()).toBe(1);
    expect(demand.draining()).toBe(false);
    demand.rise();
    demand.rise();
    demand.fall();
    demand.fall();
    expect(demand.draining()).toBe(true);
  });

  test("never falls below zero; keeps few records under steady traffic", () => {
    const { demand, clock } = tracker(30_000);
    demand.fall();
    expect(demand.current).toBe(0);
    for (let index = 0; index < 10_000; index++) {
      demand.rise();
      clock.now += 1;
      demand.fall();
    }
    expect(demand.recentPeak()).toBe(1);
    expect((demand as unknown as { ended: unknown[] }).ended.length).toBeLessThanOrEqual(2);
  });
});
