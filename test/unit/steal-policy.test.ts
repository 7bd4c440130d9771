import { describe, expect, test } from "bun:test";
import { StealPolicy } from "../../src/backends/claude/steal-policy.ts";

describe("StealPolicy", () => {
  test("a client whose conversations never come back keeps having idle ones taken over", () => {
    const policy = new StealPolicy({ windowMs: 60_000 });
    for (let index = 0; index < 20; index++) {
      expect(policy.mayTakeOver("client-a", 1000 + index)).toBe(true);
      policy.noteTakeOver("client-a", `conversation-${index}`, 1000 + index);
    }
  });

  test("when more than half of the recent take-overs came back, it stops; they age out of the window", () => {
    const policy = new StealPolicy({ windowMs: 60_000 });
    for (const fingerprint of ["one", "two", "three"]) policy.noteTakeOver("client-a", fingerprint, 1000);
    expect(policy.noteReplay("one")).toBe(true);
    expect(policy.mayTakeOver("client-a", 2000)).toBe(true);
    expect(policy.noteReplay("two")).toBe(true);
    expect(policy.mayTakeOver("client-a", 2000)).toBe(false);
    // Another client is judged on its own take-overs.
    expect(policy.mayTakeOver("client-b", 2000)).toBe(true);
    expect(policy.mayTakeOver("client-a", 1000 + 60_000)).toBe(true);
  });

  test("a replay is a regret only for a conversation that was taken over, and only once", () => {
    const policy = new StealPolicy({ windowMs: 60_000 });
    expect(policy.noteReplay("never-taken")).toBe(false);
    policy.noteTakeOver("client-a", "taken", 1000);
    expect(policy.noteReplay("taken")).toBe(true);
    expect(policy.noteReplay("taken")).toBe(false);
  });
});
