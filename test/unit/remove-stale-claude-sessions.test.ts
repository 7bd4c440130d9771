import { expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeProjectDirectory, removeStaleClaudeSessions } from "../../src/backends/claude/write-claude-session.ts";

test("session files a killed relay left behind are removed at start, recent ones and other files are kept", async () => {
  const home = mkdtempSync(join(tmpdir(), "stale-sessions-"));
  const env = { HOME: home };
  const cwd = "/srv/relay/workspace";
  const directory = claudeProjectDirectory(cwd, env);
  mkdirSync(directory, { recursive: true });
  const old = join(directory, "old.jsonl");
  const fresh = join(directory, "fresh.jsonl");
  const other = join(directory, "notes.txt");
  for (const path of [old, fresh, other]) writeFileSync(path, "{}\n");
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(old, anHourAgo, anHourAgo);
  utimesSync(other, anHourAgo, anHourAgo);

  expect(await removeStaleClaudeSessions({ cwd, env, olderThanMs: 600_000 })).toBe(1);
  expect([existsSync(old), existsSync(fresh), existsSync(other)]).toEqual([false, true, true]);
  expect(await removeStaleClaudeSessions({ cwd: "/no/such/dir", env, olderThanMs: 0 })).toBe(0);
});
