/**
 * The capture's cost before and after a change, in one run: three relays on the HTTP backend path (the fake
 * OpenAI upstream) side by side: capture off, capture all with an earlier checkout's code, capture all with this
 * one. Rounds of streaming requests at c=8 rotate their order; per relay it reports the CPU per request of its
 * main (request) thread and of the whole process (from /proc), and the median throughput.
 *
 *   git worktree add /tmp/relay-before <commit>   (its node_modules: a symlink to this checkout's)
 *   node_modules/.bin/bun bench/inspector-before-after.ts --before /tmp/relay-before [--requests 600] [--rounds 4]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closedLoop } from "./lib/closed-loop.ts";
import { mainThreadCpu, processCpu } from "./lib/cpu.ts";
import { startFakeServerProcess } from "./lib/fake-server-process.ts";
import { relayRequest } from "./lib/relay-client.ts";
import { startRelayProcess, type RelayProcess } from "./lib/relay-process.ts";
import { percentile } from "./lib/stats.ts";

const projectRoot = resolve(import.meta.dir, "..");
const { values } = parseArgs({ options: { before: { type: "string" }, requests: { type: "string", default: "600" }, rounds: { type: "string", default: "4" } } });
if (!values.before) throw new Error("--before DIR: a checkout of the code to compare with");
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const home = mkdtempSync(join(os.tmpdir(), "agent-relay-inspector-before-after-"));
const relays: Array<{ name: string; root: string; capture: string; relay?: RelayProcess; mainMs: number; processMs: number; requests: number; rates: number[] }> = [
  { name: "capture off", root: projectRoot, capture: "none", mainMs: 0, processMs: 0, requests: 0, rates: [] },
  { name: "capture all, before", root: resolve(values.before), capture: "all", mainMs: 0, processMs: 0, requests: 0, rates: [] },
  { name: "capture all, this checkout", root: projectRoot, capture: "all", mainMs: 0, processMs: 0, requests: 0, rates: [] },
];
const upstream = await startFakeServerProcess("fake-openai-server.ts");
const body = { model: "claude-sonnet-5", messages: [{ role: "system", content: "You are terse. ".repeat(200) }, { role: "user", content: "Say hello." }] };
const loadBefore = os.loadavg().map((value) => value.toFixed(1)).join(", ");
try {
  const configPath = join(home, "openai-config.yaml");
  writeFileSync(configPath, `providers:\n  fake:\n    type: openai\n    base_url: ${upstream.url}\n    api_key: sk-fake\nmodels:\n  "claude-*": fake/gpt-test\ndefault: fake/gpt-test\n`);
  for (const [index, entry] of relays.entries()) {
    entry.relay = await startRelayProcess({
      bun: process.execPath,
      cliPath: join(entry.root, "src", "cli.ts"),
      cwd: entry.root,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" },
      args: ["--host", "127.0.0.1", "--port", "0", "--config", configPath, "--warm-processes", "0", "--data-dir", join(home, `data-${index}`), "--log-level", "info", "--inspector-capture", entry.capture],
    });
    await closedLoop(100, 4, () => relayRequest(entry.relay!.url, body, true));
  }
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < relays.length; offset++) {
      const entry = relays[(round + offset) % relays.length];
      const pid = entry.relay!.pid;
      const mainBefore = mainThreadCpu(pid);
      const processBefore = processCpu(pid).self;
      const { wallMs } = await closedLoop(requests, 8, () => relayRequest(entry.relay!.url, body, true));
      // The writer runs after the answers; let it finish so its CPU counts for this round.
      await Bun.sleep(300);
      entry.mainMs += mainThreadCpu(pid) - mainBefore;
      entry.processMs += processCpu(pid).self - processBefore;
      entry.requests += requests;
      entry.rates.push((requests / wallMs) * 1000);
    }
  }
} finally {
  for (const entry of relays) await entry.relay?.stop();
  upstream.stop();
  rmSync(home, { recursive: true, force: true });
}
console.log(`${rounds} rotating rounds of ${requests} streaming chat completions at c=8 per relay, HTTP backend path. Load average before: ${loadBefore}, after: ${os.loadavg().map((value) => value.toFixed(1)).join(", ")}.`);
console.log("| relay | main-thread CPU/request | process CPU/request | c=8 throughput, median |");
console.log("|---|---:|---:|---:|");
const offRate = percentile(relays[0].rates, 50);
for (const entry of relays) {
  const rate = percentile(entry.rates, 50);
  console.log(`| ${entry.name} | ${(entry.mainMs / entry.requests).toFixed(3)} ms | ${(entry.processMs / entry.requests).toFixed(3)} ms | ${rate.toFixed(0)}/s (${((rate / offRate) * 100).toFixed(0)}%) |`);
}
