import { describe, expect, test } from "bun:test";
import type { ClaudeRun } from "../../src/backends/claude/claude-run.ts";
import { RecycledProcesses, type RecycledEndReason, type RecycledProcess } from "../../src/backends/claude/recycled-processes.ts";

const identity = { clientKey: "client", spawnKey: "spawn", lateKey: "late" };

/** A ready process as the pool sees it: a running process that never exits by itself. */
function readyProcess(pid: number, since: number): RecycledProcess {
  const run = { process: { pid, running: true, exited: new Promise<number>(() => {}) } } as unknown as ClaudeRun;
  return { run, life: { identity, bornAt: since, conversations: 1, turns: 1 }, since };
}

describe("RecycledProcesses: spare processes after a burst", () => {
  test("beyond the wanted number, those unused for the spare-idle timeout are ended, least recently used first", () => {
    const ended: Array<[number, RecycledEndReason]> = [];
    let wanted = 1;
    const pool = new RecycledProcesses({
      idleTimeoutMs: 600_000,
      spareIdleTimeoutMs: 30_000,
      wanted: () => wanted,
      onEnd: (entry, reason) => ended.push([entry.run.process.pid, reason]),
    });
    const now = Date.now();
    pool.put(readyProcess(1, now - 50_000));
    pool.put(readyProcess(2, now - 40_000));
    pool.put(readyProcess(3, now - 35_000));
    pool.put(readyProcess(4, now - 1_000));
    pool.giveUpSpares(now);
    // The oldest go first, down to the one wanted; the fourth would stay anyway (unused for 1 s only).
    expect(ended).toEqual([
      [1, "spare"],
      [2, "spare"],
      [3, "spare"],
    ]);
    expect(pool.size).toBe(1);
    // While the recent demand wants them, none is ended.
    wanted = 4;
    pool.put(readyProcess(5, now - 40_000));
    pool.giveUpSpares(now);
    expect(pool.size).toBe(2);
    pool.close();
  });

  test("off with a spare-idle timeout of 0", () => {
    const ended: number[] = [];
    const pool = new RecycledProcesses({ idleTimeoutMs: 600_000, spareIdleTimeoutMs: 0, wanted: () => 0, onEnd: (entry) => ended.push(entry.run.process.pid) });
    pool.put(readyProcess(1, Date.now() - 3_600_000));
    pool.giveUpSpares();
    expect(ended).toEqual([]);
    pool.close();
  });
});
