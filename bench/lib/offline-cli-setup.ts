/**
 * The shared setup of the benchmarks that drive the real claude CLI offline: the project's fake Anthropic
 * upstream answering at once with a short text, a temporary HOME with a project folder, the CLI's environment,
 * relays started as their own processes with the benchmarks' common arguments, and an independent one-turn
 * conversation (same system prompt, a new numbered question, streamed).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { startFakeUpstream, type FakeUpstream } from "../../test/support/fake-anthropic-upstream.ts";
import { relayRequest, type RelaySample } from "./relay-client.ts";
import { freePort, startRelayProcess, type RelayProcess } from "./relay-process.ts";

export const projectRoot = resolve(import.meta.dir, "..", "..");
export const claudeBin = join(projectRoot, "node_modules", ".bin", "claude");

/** The environment for the real CLI (and the relays whose CLIs inherit it): a temporary HOME, the fake upstream, a dummy key. */
export function offlineCliEnv(home: string, upstreamUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    LANG: "C.UTF-8",
    ANTHROPIC_BASE_URL: upstreamUrl,
    ANTHROPIC_API_KEY: "sk-ant-dummy-key-for-the-benchmark",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  };
}

export interface OfflineCliSetup {
  upstream: FakeUpstream;
  home: string;
  env: Record<string, string>;
  /** Stops the upstream and removes the temporary HOME. */
  stop(): Promise<void>;
}

/** The fake upstream (default answer "Hello from fake upstream!" in two chunks) and a temporary HOME `<tmp>/<prefix>XXXXXX` with `project/`. */
export function startOfflineCliSetup(prefix: string): OfflineCliSetup {
  const upstream = startFakeUpstream();
  upstream.setDefault({ kind: "text", chunks: ["Hello from ", "fake upstream!"] });
  const home = mkdtempSync(join(os.tmpdir(), prefix));
  mkdirSync(join(home, "project"), { recursive: true });
  return {
    upstream,
    home,
    env: offlineCliEnv(home, upstream.url),
    async stop() {
      await upstream.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

let relayCounter = 0;

/**
 * A relay as its own process on a free port, data dir `<home>/relay-N` (N counts the relays started), with
 * `--max-concurrent 8 --max-queue 128`, then `extraArgs`, then `--log-level warn`. `cliPath` and `cwd` default to
 * this tree's src/cli.ts and root (another source tree's can be given).
 */
export function startBenchRelay(options: { env: Record<string, string>; home: string; cliPath?: string; cwd?: string; extraArgs?: readonly string[] }): Promise<RelayProcess> {
  return startRelayProcess({
    bun: process.execPath,
    cliPath: options.cliPath ?? join(projectRoot, "src", "cli.ts"),
    cwd: options.cwd ?? projectRoot,
    env: options.env,
    args: ["--host", "127.0.0.1", "--port", String(freePort()), "--claude-bin", claudeBin, "--data-dir", join(options.home, `relay-${relayCounter++}`), "--max-concurrent", "8", "--max-queue", "128", ...(options.extraArgs ?? []), "--log-level", "warn"],
    startTimeoutMs: 30_000,
  });
}

let conversationCounter = 0;

/** A new one-turn conversation, streamed: system "Answer briefly.", user "Independent question N" (N counts the calls). */
export function independentConversation(relayUrl: string): Promise<RelaySample> {
  return relayRequest(relayUrl, { model: "sonnet", messages: [{ role: "system", content: "Answer briefly." }, { role: "user", content: `Independent question ${++conversationCounter}` }] }, true);
}
