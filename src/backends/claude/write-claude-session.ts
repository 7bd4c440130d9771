/**
 * Earlier turns reach the model as real user and assistant turns through a session file in the CLI's own
 * format, replayed with `--resume <id> --no-session-persistence` (verified on claude 2.1.197: the history is
 * sent upstream verbatim and the file is not appended to). The file is ours and is removed after the request.
 */
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RelayMessage } from "../../core/relay-request.ts";
import { toClaudeContent, type ToClaudeContentOptions } from "./to-claude-content.ts";

export interface ClaudeSessionFile {
  sessionId: string;
  path: string;
  /** The uuid of the last assistant record, for --resume-session-at when turns follow it in the file. */
  lastAssistantUuid?: string;
  /** Deletes the file; safe to call more than once. */
  remove(): Promise<void>;
}

export interface WriteClaudeSessionOptions {
  /** The turns before the new user turn, already alternating. */
  history: RelayMessage[];
  /** The working directory the CLI will run in; the CLI looks for sessions under a folder named after it. */
  cwd: string;
  /** The environment the CLI will get (for CLAUDE_CONFIG_DIR and HOME). */
  env: Record<string, string | undefined>;
  /** Recorded in each line, as the CLI does. */
  cliVersion?: string;
  /** Converts content for the CLI (client tool names). */
  content?: ToClaudeContentOptions;
}

/** The folder the CLI keeps a working directory's sessions in: every non-alphanumeric character becomes '-'. */
export function claudeProjectDirectory(cwd: string, env: Record<string, string | undefined>): string {
  const configDirectory = env.CLAUDE_CONFIG_DIR || join(env.HOME || env.USERPROFILE || homedir(), ".claude");
  return join(configDirectory, "projects", cwd.replace(/[^a-zA-Z0-9]/g, "-"));
}

export async function writeClaudeSession(options: WriteClaudeSessionOptions): Promise<ClaudeSessionFile> {
  const sessionId = crypto.randomUUID();
  const directory = claudeProjectDirectory(options.cwd, options.env);
  const path = join(directory, `${sessionId}.jsonl`);
  const startedAt = Date.now() - options.history.length * 1000;
  let parentUuid: string | null = null;
  let lastAssistantUuid: string | undefined;
  const lines: string[] = [];

  options.history.forEach((message, index) => {
    const uuid = crypto.randomUUID();
    const content = toClaudeContent(message.content, options.content);
    if (message.role === "assistant") lastAssistantUuid = uuid;
    const record = {
      type: message.role,
      uuid,
      parentUuid,
      sessionId,
      timestamp: new Date(startedAt + index * 1000).toISOString(),
      isSidechain: false,
      cwd: options.cwd,
      userType: "external",
      version: options.cliVersion ?? "2.1.197",
      message:
        message.role === "user"
          ? { role: "user", content }
          : {
              // One record per assistant turn with its own id: the CLI joins records that share a message id.
              id: `msg_relay_${sessionId.slice(0, 8)}_${index}`,
              type: "message",
              role: "assistant",
              model: "relay-history",
              content,
              stop_reason: content.some((block) => block.type === "tool_use") ? "tool_use" : "end_turn",
              stop_sequence: null,
              usage: { input_tokens: 0, output_tokens: 0 },
            },
    };
    lines.push(JSON.stringify(record));
    parentUuid = uuid;
  });

  await mkdir(directory, { recursive: true, mode: 0o700 });
  await writeFile(path, lines.join("\n") + "\n", { mode: 0o600 });
  let removed = false;
  return {
    sessionId,
    path,
    lastAssistantUuid,
    async remove() {
      if (removed) return;
      removed = true;
      await rm(path, { force: true });
    },
  };
}

/**
 * Deletes session files the relay wrote but could not remove (it was killed mid-request). The working
 * directory belongs to the relay and the CLI runs with --no-session-persistence, so every file there is ours;
 * only files older than `olderThanMs` are touched, in case another relay shares the directory.
 */
export async function removeStaleClaudeSessions(options: { cwd: string; env: Record<string, string | undefined>; olderThanMs: number }): Promise<number> {
  const directory = claudeProjectDirectory(options.cwd, options.env);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names.filter((entry) => entry.endsWith(".jsonl"))) {
    const path = join(directory, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > options.olderThanMs) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return removed;
}
