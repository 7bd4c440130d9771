/** Finds the claude binary and asks it for its version and its models, without calling the upstream. */
import { accessSync, constants, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { RelayModel } from "../../core/relay-backend.ts";
import { ClaudeProcess } from "./claude-process.ts";

export interface ClaudeBinaryStatus {
  /** Absolute path, when found. */
  path?: string;
  /** e.g. "2.1.197", when the binary answered --version. */
  version?: string;
  /** Why it cannot be used, when it cannot. */
  error?: string;
}

/** Resolves a binary name on PATH, or a path relative to the current directory. */
export function resolveClaudeBinary(binary: string, env: Record<string, string | undefined>): string | undefined {
  if (binary.includes("/") || binary.includes("\\")) {
    const path = isAbsolute(binary) ? binary : resolve(binary);
    try {
      if (!statSync(path).isFile()) return undefined;
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      return undefined;
    }
  }
  return Bun.which(binary, { PATH: env.PATH ?? "" }) ?? undefined;
}

/** A path that exists as a file the relay may not execute (not "not found": the fix is chmod, not an install). */
function isFileWithoutExecute(binary: string): boolean {
  if (!binary.includes("/") && !binary.includes("\\")) return false;
  try {
    return statSync(isAbsolute(binary) ? binary : resolve(binary)).isFile();
  } catch {
    return false;
  }
}

export async function probeClaudeBinary(binary: string, env: Record<string, string | undefined>): Promise<ClaudeBinaryStatus> {
  const path = resolveClaudeBinary(binary, env);
  if (!path && isFileWithoutExecute(binary)) return { error: `"${binary}" is not executable` };
  if (!path) return { error: `"${binary}" was not found` + (binary.includes("/") ? "" : " on PATH") };
  try {
    const child = Bun.spawn([path, "--version"], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 15_000 });
    const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    if (code !== 0) return { path, error: `"${path} --version" exited with code ${code}` };
    return { path, version: /\d+\.\d+\.\d+[^\s]*/.exec(output)?.[0] ?? output.trim() };
  } catch (error) {
    return { path, error: `"${path} --version" failed: ${String(error)}` };
  }
}

interface InitializeModel {
  value: string;
  resolvedModel?: string;
  displayName?: string;
}

/** Asks the CLI which models it offers (the initialize control response); no upstream request is made. */
export async function listClaudeModels(options: { binary: string; env: Record<string, string | undefined>; cwd: string; timeoutMs?: number }): Promise<RelayModel[]> {
  const child = ClaudeProcess.spawn({
    binary: options.binary,
    args: ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--tools", "", "--strict-mcp-config", "--no-session-persistence"],
    env: options.env,
    cwd: options.cwd,
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 15_000);
  try {
    child.send({ type: "control_request", request_id: "relay_models", request: { subtype: "initialize" } });
    for await (const line of child.readLines({ signal: controller.signal })) {
      if (line.kind !== "json") continue;
      const message = line.value as { type?: string; response?: { request_id?: string; response?: { models?: InitializeModel[] } } };
      if (message.type !== "control_response" || message.response?.request_id !== "relay_models") continue;
      return (message.response.response?.models ?? []).map((model) => ({
        id: model.value,
        displayName: model.displayName ?? model.value,
        resolvesTo: model.resolvedModel,
      }));
    }
    return [];
  } finally {
    clearTimeout(timer);
    await child.finish(1000);
  }
}
