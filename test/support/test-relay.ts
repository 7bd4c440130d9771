/**
 * Starts a real relay on a free port for a test, with the real claude CLI (or the fake one) running against
 * the project's fake Anthropic upstream in a throwaway HOME, and captures its log lines.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCommand } from "../../src/config.ts";
import { startRelay, type RunningRelay } from "../../src/cli.ts";
import { createLogger } from "../../src/util/logger.ts";
import { startFakeUpstream, type FakeUpstream } from "./fake-anthropic-upstream.ts";

export const projectRoot = resolve(import.meta.dir, "../..");
export const realClaudeBin = join(projectRoot, "node_modules", ".bin", "claude");
export const fakeClaudeBin = join(projectRoot, "test", "support", "fake-claude.sh");

export interface TestRelay {
  url: string;
  relay: RunningRelay;
  upstream: FakeUpstream;
  home: string;
  /** Parsed log lines written so far. */
  logs: Array<Record<string, any>>;
  /**
   * Waits until no request holds a slot and no CLI process is left (so a test cannot see the last one's
   * traffic); with allowHeld, processes waiting for tool results may stay.
   */
  settle(options?: { allowHeld?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface TestRelayOptions {
  /** Extra command-line options, e.g. ["--max-concurrent", "1"]. */
  args?: string[];
  /** Defaults to the real claude CLI from node_modules. */
  claudeBin?: string;
  /** Extra environment for the CLI. */
  env?: Record<string, string>;
  /** Reuse an upstream (otherwise a new one is started and stopped with the relay). */
  upstream?: FakeUpstream;
  serverIdleTimeoutSeconds?: number;
}

export async function startTestRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const home = mkdtempSync(join(tmpdir(), "agent-relay-test-"));
  const upstream = options.upstream ?? startFakeUpstream();
  const env: Record<string, string> = {
    PATH: `${join(projectRoot, "node_modules", ".bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: home,
    ANTHROPIC_BASE_URL: upstream.url,
    ANTHROPIC_API_KEY: "sk-ant-dummy-key-for-tests",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    ...options.env,
  };
  const command = parseCommand(
    ["--port", "0", "--data-dir", join(home, "relay-data"), "--claude-bin", options.claudeBin ?? realClaudeBin, "--log-level", "debug", ...(options.args ?? [])],
    {},
  );
  if (command.kind !== "serve") throw new Error("unexpected command");
  const logs: Array<Record<string, any>> = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const relay = await startRelay({ config: command.config, env, log, serverIdleTimeoutSeconds: options.serverIdleTimeoutSeconds });
  return {
    url: relay.url,
    relay,
    upstream,
    home,
    logs,
    async settle(settleOptions = {}) {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const health = (await (await fetch(`${relay.url}/health`)).json()) as {
          requests: { active: number };
          cli_processes: number;
          warm_processes: number;
          live_conversations: number;
          held_tool_rounds: number;
          ready_processes?: number;
        };
        // Warm, ready (recycled) processes and idle live conversations may stay; processes waiting for tool results only when allowed.
        const kept = health.warm_processes + (health.ready_processes ?? 0) + health.live_conversations - (settleOptions.allowHeld ? 0 : health.held_tool_rounds);
        const heldOk = settleOptions.allowHeld || health.held_tool_rounds === 0;
        if (health.requests.active === 0 && heldOk && health.cli_processes === kept) return;
        await Bun.sleep(10);
      }
      throw new Error("the relay did not settle within 5 s");
    },
    async close() {
      await relay.shutdown();
      if (!options.upstream) await upstream.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
