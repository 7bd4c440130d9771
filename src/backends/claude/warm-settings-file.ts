/**
 * The spawn settings used most recently, kept in a file so that after a restart the warm pool starts
 * processes for them at once and the first request can be served warm. Only what the relay sets per request
 * is stored (the CLI's argv and the per-request environment variables), never the inherited environment
 * (it holds credentials); the file is private to the user (0600).
 */
import { chmod, readFile, rename, writeFile } from "node:fs/promises";
import type { SpawnSpec } from "./warm-pool.ts";

/** Environment variables the relay sets from a request's parameters (build-claude-invocation.ts). */
const perRequestVariables = ["CLAUDE_CODE_EXTRA_BODY", "CLAUDE_CODE_MAX_OUTPUT_TOKENS", "CLAUDE_CODE_EFFORT_LEVEL", "MAX_THINKING_TOKENS"];

interface SavedSettings {
  args: string[];
  /** Per-request variables; null: not set. */
  env: Record<string, string | null>;
}

export async function readWarmSettings(path: string): Promise<SavedSettings[]> {
  try {
    const saved = JSON.parse(await readFile(path, "utf8")) as unknown;
    if (!Array.isArray(saved)) return [];
    return saved.filter(
      (entry): entry is SavedSettings =>
        typeof entry === "object" && entry !== null && Array.isArray(entry.args) && entry.args.every((arg: unknown) => typeof arg === "string") && typeof entry.env === "object",
    );
  } catch {
    return [];
  }
}

export async function writeWarmSettings(path: string, specs: SpawnSpec[]): Promise<void> {
  const saved: SavedSettings[] = specs.map((spec) => ({
    args: spec.args,
    env: Object.fromEntries(perRequestVariables.map((name) => [name, spec.env[name] ?? null])),
  }));
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(saved), { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** The spec saved settings stand for, on top of a plain request's spec (binary, inherited environment, cwd). */
export function restoreSpawnSpec(saved: SavedSettings, base: SpawnSpec): SpawnSpec {
  const env = { ...base.env };
  for (const name of perRequestVariables) {
    const value = saved.env[name];
    if (typeof value === "string") env[name] = value;
    else delete env[name];
  }
  return { ...base, args: saved.args, env };
}
