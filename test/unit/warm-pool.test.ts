import { afterEach, describe, expect, test } from "bun:test";
import type { ClaudeProcess } from "../../src/backends/claude/claude-process.ts";
import { type SpawnSpec, WarmPool } from "../../src/backends/claude/warm-pool.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { waitFor } from "../support/wait-for.ts";

const spec: SpawnSpec = { binary: "claude", args: ["-p"], env: {}, cwd: "/tmp" };

/** A stand-in for a started process: the pool only reads these fields. */
const fakeProcess = () => ({ pid: 1, running: true, exited: new Promise<number>(() => {}), finish: async () => {} }) as unknown as ClaudeProcess;

let pool: WarmPool | undefined;
afterEach(() => pool?.close());

describe("WarmPool refills", () => {
  test("a refill held back (no room) is tried again once room is back, with no request to trigger it", async () => {
    let room = false;
    let spawned = 0;
    pool = new WarmPool({
      size: 1,
      idleTimeoutMs: 60_000,
      spawn: () => (spawned++, fakeProcess()),
      hasRoom: () => room,
      log: silentLogger,
    });
    expect(pool.take(spec)).toBeUndefined();
    pool.refillSoon();
    await Bun.sleep(50);
    expect(spawned).toBe(0);
    room = true;
    await waitFor(() => spawned === 1, { what: "the held refill to start a warm process" });
    expect(pool.size).toBe(1);
  });

  test("retries stop once the settings are no longer recent: a pool held back for good does not poll forever", async () => {
    let checks = 0;
    pool = new WarmPool({ size: 1, idleTimeoutMs: 300, spawn: fakeProcess, hasRoom: () => (checks++, false), log: silentLogger });
    pool.take(spec);
    pool.refillSoon();
    await waitFor(() => checks === 1, { what: "the first refill" });
    // The retry a second later finds the settings unused for longer than the idle timeout.
    await Bun.sleep(2500);
    expect(checks).toBe(1);
  });
});
