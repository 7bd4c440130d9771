/**
 * Starts a real relay on a free port for a test, with the real claude CLI (or the fake one) running against
 * the project's fake Anthropic upstream in a throwaway HOME, and captures its log lines.
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCommand } from "../../src/config.ts";
import { startRelay, type RunningRelay } from "../../src/cli.ts";
import { createLogger } from "../../src/util/logger.ts";
import { startFakeUpstream, type FakeUpstream } from "./fake-anthropic-upstream.ts";
import { isAlive } from "./processes.ts";
import { waitFor } from "./wait-for.ts";

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
  /** The --claude-bin the relay was given (a pid-recording stand-in for the binary asked for, see `cliPids`). */
  claudeBin: string;
  /**
   * The pids of every CLI process the relay started so far (warm ones included, `--version` probes not), in
   * start order, whatever the relay logs: for counting processes and checking that none is left.
   */
  cliPids(): number[];
  /** The started CLI processes that are still running. */
  aliveCliPids(): number[];
  /**
   * Waits until no request holds a slot and no CLI process is left (so a test cannot see the last one's
   * traffic), by the relay's health and by the recorded pids; with allowHeld, processes waiting for tool results
   * may stay.
   */
  settle(options?: { allowHeld?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface TestRelayOptions {
  /** Extra command-line options, e.g. ["--max-concurrent", "1"]. */
  args?: string[];
  /** Defaults to the real claude CLI from node_modules. A path that does not exist is passed on as is. */
  claudeBin?: string;
  /** Extra environment for the CLI. */
  env?: Record<string, string>;
  /** Reuse an upstream (otherwise a new one is started and stopped with the relay). */
  upstream?: FakeUpstream;
  serverIdleTimeoutSeconds?: number;
  /** OTEL_* variables for the relay's telemetry (none by default, whatever the test runner's environment). */
  telemetryEnv?: Record<string, string>;
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
  const pidFile = join(home, "cli-pids");
  let pidsAfterClose: number[] | undefined;
  const claudeBin = recordingPids(options.claudeBin ?? realClaudeBin, { home, pidFile });
  const command = parseCommand(
    ["--port", "0", "--data-dir", join(home, "relay-data"), "--claude-bin", claudeBin, "--log-level", "debug", ...(options.args ?? [])],
    {},
  );
  if (command.kind !== "serve") throw new Error("unexpected command");
  const logs: Array<Record<string, any>> = [];
  const log = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line)) });
  const relay = await startRelay({ config: command.config, env, log, serverIdleTimeoutSeconds: options.serverIdleTimeoutSeconds, telemetryEnv: options.telemetryEnv ?? {} });
  return {
    url: relay.url,
    relay,
    upstream,
    home,
    logs,
    claudeBin,
    cliPids,
    aliveCliPids: () => cliPids().filter(isAlive),
    async settle(settleOptions = {}) {
      await waitFor(
        async () => {
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
          // ...and every CLI process still running is one the relay holds: an ended one is really gone.
          const held = new Set(relay.processIds());
          const strays = cliPids().filter((pid) => isAlive(pid) && !held.has(pid));
          return health.requests.active === 0 && heldOk && health.cli_processes === kept && strays.length === 0;
        },
        { what: "the relay to settle (no active request, no CLI process beyond the warm and live ones, none outside the relay)" },
      );
    },
    async close() {
      await relay.shutdown();
      if (!options.upstream) await upstream.stop();
      // The pids stay readable after the home folder is gone, to check that shutdown left no process behind.
      pidsAfterClose = cliPids();
      rmSync(home, { recursive: true, force: true });
    },
  };

  function cliPids(): number[] {
    if (pidsAfterClose) return pidsAfterClose;
    if (!existsSync(pidFile)) return [];
    return readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number);
  }
}

/**
 * A stand-in for the CLI binary that appends its pid to `pidFile` and then becomes the binary with exec (which
 * keeps the pid, the process group and the signals), so tests see every process the relay started.
 */
function recordingPids(binary: string, { home, pidFile }: { home: string; pidFile: string }): string {
  // A missing or non-executable binary is what the test is about: the relay must see it as it is.
  if (!isExecutable(binary)) return binary;
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const standIn = join(home, "claude");
  writeFileSync(
    standIn,
    ["#!/bin/sh", `[ "$1" = --version ] || echo "$$" >> ${quote(pidFile)}`, `exec ${quote(binary)} "$@"`, ""].join("\n"),
    { mode: 0o755 },
  );
  return standIn;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
