/**
 * Starts a real relay on a free port with a routing file, for tests of OpenAI-compatible providers (the
 * project's fake OpenAI upstream), in a throwaway HOME, and captures its log lines. The claude provider is
 * always there; it gets the real CLI but no warm processes, so it costs nothing unless a route uses it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRelay, type RunningRelay } from "../../src/cli.ts";
import { parseCommand } from "../../src/config.ts";
import { createLogger } from "../../src/util/logger.ts";
import { projectRoot, realClaudeBin } from "./test-relay.ts";

export interface OpenAIProviderRelay {
  url: string;
  relay: RunningRelay;
  home: string;
  /** Parsed log lines written so far. */
  logs: Array<Record<string, any>>;
  close(): Promise<void>;
}

export async function startOpenAIProviderRelay(options: { config: (home: string) => string; args?: string[]; env?: Record<string, string> }): Promise<OpenAIProviderRelay> {
  const home = mkdtempSync(join(tmpdir(), "agent-relay-openai-test-"));
  const configPath = join(home, "config.yaml");
  writeFileSync(configPath, options.config(home));
  const env: Record<string, string> = {
    PATH: `${join(projectRoot, "node_modules", ".bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: home,
    ...options.env,
  };
  const command = parseCommand(
    ["--port", "0", "--data-dir", join(home, "relay-data"), "--config", configPath, "--claude-bin", realClaudeBin, "--warm-processes", "0", "--log-level", "debug", ...(options.args ?? [])],
    {},
  );
  if (command.kind !== "serve") throw new Error("unexpected command");
  const logs: Array<Record<string, any>> = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const relay = await startRelay({ config: command.config, env, log });
  return {
    url: relay.url,
    relay,
    home,
    logs,
    async close() {
      await relay.shutdown();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
