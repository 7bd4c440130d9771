/**
 * Smoke test of the compiled executable: built with build.ts's own compileRelay() (so the release flags cannot
 * drift from what is tested), started as a real process against the fake Anthropic upstream and the real claude
 * CLI, from a directory whose .env and bunfig.toml would break it if the binary loaded them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { compileRelay } from "../../build.ts";
import { startFakeUpstream, type FakeUpstream } from "../support/fake-anthropic-upstream.ts";
import { projectRoot, realClaudeBin } from "../support/test-relay.ts";

const version = "9.8.7-compiled-test";
const commit = "0123456789ab";
const date = "2026-12-01T10:20:30Z";
const startupTimeoutMs = 60_000;
// Hook and test timeouts are explicit because Bun 1.4.5 ignores `timeout` in bunfig.toml's [test] (the default is 5 s).

let temp: string;
let binary: string;
let upstream: FakeUpstream;
let relay: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;
let relayUrl: string;
const stderrLines: string[] = [];

/** Collects the relay's stderr lines (JSON logs) until it ends; resolves with the URL of its "listening" line. */
function readUntilListening(child: NonNullable<typeof relay>): Promise<string> {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  const timer = setTimeout(() => reject(new Error(`not listening after ${startupTimeoutMs} ms:\n${stderrLines.join("\n")}`)), startupTimeoutMs);
  void (async () => {
    let buffered = "";
    // Keeps reading after the listening line, so the relay never blocks on a full stderr pipe.
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        stderrLines.push(line);
        if (line.includes('"agent-relay listening"')) resolve(JSON.parse(line).url);
      }
    }
    reject(new Error(`the binary exited (${await child.exited}) before listening:\n${stderrLines.join("\n")}`));
  })();
  return promise.finally(() => clearTimeout(timer));
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "agent-relay-compiled-"));
  const built = await compileRelay({ outfile: join(temp, "bin", process.platform === "win32" ? "agent-relay.exe" : "agent-relay"), version, commit, date });
  binary = built.outfile;

  upstream = startFakeUpstream();
  upstream.setDefault({ kind: "text", chunks: ["Hello from ", "the compiled relay."] });

  // The directory the binary starts in: if it loaded either file, it would refuse to start (exit 2, bad log level)
  // or even to print --version (exit 1, preload not found).
  const cwd = join(temp, "cwd");
  mkdirSync(cwd);
  writeFileSync(join(cwd, ".env"), "AGENT_RELAY_LOG_LEVEL=nonsense\n");
  writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./missing-preload.ts"]\n');
  const home = join(temp, "home");
  mkdirSync(home);

  const started = performance.now();
  relay = Bun.spawn([binary, "--port", "0", "--data-dir", join(temp, "data"), "--claude-bin", realClaudeBin], {
    cwd,
    // Only what the binary needs: nothing AGENT_RELAY_* from the outer environment, so only the .env could set the log level.
    env: {
      PATH: `${join(projectRoot, "node_modules", ".bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: home,
      ANTHROPIC_BASE_URL: upstream.url,
      ANTHROPIC_API_KEY: "sk-dummy",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  relayUrl = await readUntilListening(relay);
  console.error(
    `compiled ${(built.bytes / 1024 / 1024).toFixed(1)} MB in ${Math.round(built.ms)} ms; listening after ${Math.round(performance.now() - started)} ms`,
  );
}, 300_000);

afterAll(async () => {
  if (relay && relay.exitCode === null) {
    relay.kill("SIGTERM");
    const exited = await Promise.race([relay.exited, Bun.sleep(15_000).then(() => undefined)]);
    if (exited === undefined) relay.kill("SIGKILL");
  }
  await upstream?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
}, 30_000);

describe("compiled agent-relay binary", () => {
  test("--version prints the version, commit and build date injected at build time", () => {
    const result = Bun.spawnSync([binary, "--version"], { cwd: join(temp, "cwd"), env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    expect(result.stdout.toString()).toBe(`agent-relay ${version} (commit ${commit}, built ${date})\n`);
    expect(result.exitCode).toBe(0);
  });

  test("service print runs the binary itself (not bun) with the given options", () => {
    const home = join(temp, "service-home");
    mkdirSync(home, { recursive: true });
    const result = Bun.spawnSync([binary, "service", "print", "--port", "18090"], { cwd: join(temp, "cwd"), env: { HOME: home, PATH: "/usr/bin:/bin" } });
    expect(result.exitCode).toBe(0);
    const text = result.stdout.toString();
    if (process.platform === "darwin") expect(text).toContain(`<string>${binary}</string>\n      <string>serve</string>\n      <string>--port=18090</string>`);
    else expect(text).toContain(`ExecStart="${binary}" "serve" "--port=18090"\n`);
  });

  test("ignores the .env in its working directory and starts", () => {
    expect(relayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const listening = JSON.parse(stderrLines.find((line) => line.includes('"agent-relay listening"'))!);
    expect(listening.version).toBe(version);
    expect(relay!.exitCode).toBeNull();
  });

  test("GET /health answers ok", async () => {
    const response = await fetch(`${relayUrl}/health`);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ status: "ok", version });
  });

  test("a chat completion through the official openai client returns the upstream's text", async () => {
    const client = new OpenAI({ baseURL: `${relayUrl}/v1`, apiKey: "anything", maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "sonnet",
      messages: [{ role: "user", content: "Say hello." }],
    });
    expect(completion.choices[0].message.content).toBe("Hello from the compiled relay.");
    expect(completion.choices[0].finish_reason).toBe("stop");
    expect(upstream.messageRequests().length).toBeGreaterThan(0);
  });

  // The writer thread is a second entrypoint of the build: without it the binary would fall back to writing on
  // the request thread, with a warning.
  test("the request log holds that completion, written by the inspector's writer thread", async () => {
    let items: Array<{ path: string; status: number }> = [];
    const deadline = Date.now() + 20_000;
    while (items.length === 0 && Date.now() < deadline) {
      items = ((await (await fetch(`${relayUrl}/inspector/api/requests?limit=5`)).json()) as { items: typeof items }).items;
      if (items.length === 0) await Bun.sleep(50);
    }
    expect(items[0]).toMatchObject({ path: "/v1/chat/completions", status: 200 });
    expect(stderrLines.filter((line) => line.includes("writer thread"))).toEqual([]);
  });
});
