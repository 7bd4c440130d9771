/**
 * What the person running the relay sees: one log line per request with the status the client got, a
 * helpful 404, /health that notices a lost login, the start-up banner, text or JSON logs, and `npm start`
 * running the user's own claude.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { createLogger } from "../../src/util/logger.ts";
import { fakeClaudeBin, projectRoot, startTestRelay, type TestRelay } from "../support/test-relay.ts";

const apiKey = "operator-test-key";
let relay: TestRelay;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "agent-relay-operators-"));
  relay = await startTestRelay({ claudeBin: fakeClaudeBin, args: ["--warm-processes", "0", "--api-key", apiKey, "--max-body-size", "16KB"] });
});
afterAll(async () => {
  await relay?.close();
  rmSync(directory, { recursive: true, force: true });
});

const linesOf = (requestId: string) => relay.logs.filter((line) => line.request_id === requestId && /^request (completed|failed|cancelled)/.test(line.msg));

describe("one log line per request, with the status the client received", () => {
  const cases: Array<{ name: string; status: number; send: (requestId: string) => Promise<Response> }> = [
    { name: "200", status: 200, send: (id) => post("/v1/chat/completions", id, { model: "sonnet", messages: [{ role: "user", content: "hi" }] }) },
    { name: "400 (schema validation; Elysia says 422 inside)", status: 400, send: (id) => post("/v1/chat/completions", id, { model: "sonnet", messages: "not a list" }) },
    { name: "401", status: 401, send: (id) => post("/v1/chat/completions", id, { model: "sonnet", messages: [] }, { authorization: "Bearer wrong" }) },
    { name: "403", status: 403, send: (id) => post("/v1/chat/completions", id, {}, { origin: "https://evil.example" }) },
    { name: "404", status: 404, send: (id) => fetch(`${relay.url}/v1/nothing-here`, { headers: { "x-request-id": id, "x-api-key": apiKey } }) },
    { name: "413", status: 413, send: (id) => post("/v1/messages", id, { model: "sonnet", max_tokens: 5, messages: [{ role: "user", content: "x".repeat(20_000) }] }) },
    { name: "415", status: 415, send: (id) => fetch(`${relay.url}/v1/responses`, { method: "POST", headers: { "x-request-id": id, "x-api-key": apiKey }, body: "model=sonnet" }) },
  ];
  for (const { name, status, send } of cases) {
    test(name, async () => {
      const requestId = `req-operators-${status}-${crypto.randomUUID()}`;
      const response = await send(requestId);
      expect(response.status).toBe(status);
      await response.arrayBuffer();
      // The line is written once the response is out; give a busy machine a moment.
      const deadline = Date.now() + 5000;
      while (linesOf(requestId).length === 0 && Date.now() < deadline) await Bun.sleep(10);
      await Bun.sleep(50);
      expect(linesOf(requestId)).toEqual([expect.objectContaining({ status })]);
    });
  }

  function post(path: string, requestId: string, body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${relay.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": requestId, "x-api-key": apiKey, ...headers },
      body: JSON.stringify(body),
    });
  }
});

describe("404", () => {
  test("names the path and points to the endpoints, in the caller's protocol", async () => {
    const openai = await fetch(`${relay.url}/v1/chat/complete`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": apiKey }, body: "{}" });
    expect(openai.status).toBe(404);
    const body = (await openai.json()) as any;
    expect(body.error.type).toBe("not_found_error");
    expect(body.error.message).toContain("POST /v1/chat/complete");
    expect(body.error.message).toContain("POST /v1/chat/completions");
    const anthropic = await fetch(`${relay.url}/v1/messages/batches`, { headers: { "anthropic-version": "2023-06-01", "x-api-key": apiKey } });
    expect(anthropic.status).toBe(404);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "not_found_error", message: expect.stringContaining("GET /v1/messages/batches") } });
  });
});

describe("/health and the backend's login", () => {
  test("turns degraded when the CLI reports it is not logged in, and ok again after a request succeeds", async () => {
    const real = await startTestRelay({ args: ["--warm-processes", "0", "--cli-max-retries", "0"] });
    try {
      const health = async () => (await (await fetch(`${real.url}/health`)).json()) as { status: string; reason?: string };
      expect((await health()).status).toBe("ok");
      real.upstream.enqueue({ kind: "error", status: 401, errorType: "authentication_error", message: "invalid x-api-key" });
      const client = new OpenAI({ baseURL: `${real.url}/v1`, apiKey: "x", maxRetries: 0 });
      const failed = await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi" }] }).catch((caught) => caught);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      const degraded = await health();
      expect(degraded.status).toBe("degraded");
      expect(degraded.reason).toContain("Log in to Claude Code");
      await client.chat.completions.create({ model: "sonnet", messages: [{ role: "user", content: "hi again" }] });
      expect((await health()).status).toBe("ok");
    } finally {
      await real.close();
    }
  });
});

describe("start-up and log format", () => {
  test("the banner names the URL, the CLI and its version, and the exports to use", () => {
    const banner = relay.relay.banner("text");
    expect(banner).toContain(`listening on ${relay.url}`);
    expect(banner).toContain(`${relay.claudeBin} (2.1.197)`);
    expect(banner).toContain(`export OPENAI_BASE_URL=${relay.url}/v1`);
    expect(banner).toContain(`export ANTHROPIC_BASE_URL=${relay.url}`);
    expect(banner).toContain("must send the relay's API key");
    expect(banner).toContain("--log-format");
  });

  test("--log-format text writes one readable line per event; both formats cut 140 KB values", () => {
    const text: string[] = [];
    createLogger({ level: "info", format: "text", write: (line) => text.push(line) }).info("request completed", { method: "POST", status: 200, error: "two words", model: "m".repeat(140_000) });
    expect(text).toHaveLength(1);
    expect(text[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  request completed method=POST status=200 error="two words" model="m+… \(138000 more characters\)"\n$/);
    const json: string[] = [];
    createLogger({ level: "info", format: "json", write: (line) => json.push(line) }).warn("x", { detail: { nested: "n".repeat(140_000) } });
    expect(json[0].length).toBeLessThan(3000);
    expect(JSON.parse(json[0])).toMatchObject({ level: "warn", msg: "x" });
  });

  test("the real entry point: a terminal gets the banner and text logs; a pipe gets JSON lines", async () => {
    const run = async (terminal: boolean) => {
      const ready = terminal ? /Point your clients at it[\s\S]*ANTHROPIC_BASE_URL/ : /agent-relay listening/;
      const dataDir = join(directory, `entry-${terminal}`);
      const command = [join(projectRoot, "node_modules", ".bin", "bun"), join(projectRoot, "src", "cli.ts"), "--port", "0", "--data-dir", dataDir, "--claude-bin", fakeClaudeBin, "--warm-processes", "0"];
      // `script` gives the relay a pseudo-terminal as stderr.
      const argv = terminal ? ["script", "-qefc", command.map((part) => `'${part}'`).join(" "), "/dev/null"] : command;
      const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore", detached: true, env: { PATH: process.env.PATH, HOME: directory } });
      let output = "";
      const reader = (async () => {
        for await (const chunk of terminal ? child.stdout : child.stderr) output += new TextDecoder().decode(chunk);
      })();
      const deadline = Date.now() + 30_000;
      while (!ready.test(output) && Date.now() < deadline) await Bun.sleep(25);
      process.kill(-child.pid, "SIGTERM");
      await child.exited;
      await reader;
      return output;
    };
    const onTerminal = await run(true);
    expect(onTerminal).toContain("is listening on http://127.0.0.1:");
    expect(onTerminal).toContain(`Claude Code CLI  ${fakeClaudeBin} (2.1.197)`);
    expect(onTerminal).toMatch(/\d\d:\d\d:\d\d\.\d{3} INFO  agent-relay listening url=http:\/\/127\.0\.0\.1:\d+ .*providers\.claude\.version=2\.1\.197/);
    const onPipe = await run(false);
    const first = onPipe.split("\n").find((line) => line.includes("agent-relay listening"))!;
    expect(JSON.parse(first)).toMatchObject({ level: "info", msg: "agent-relay listening" });
    expect(onPipe).not.toContain("Point your clients at it");
  });

  test("`npm start` uses the user's own claude on PATH, not the project's pinned copy, and says which", async () => {
    const userBin = join(directory, "user-bin");
    mkdirSync(userBin, { recursive: true });
    const userClaude = join(userBin, "claude");
    writeFileSync(userClaude, `#!/bin/sh\ncase "$1" in --version) echo "9.9.9 (Claude Code)"; exit 0 ;; esac\nexec '${fakeClaudeBin}' "$@"\n`);
    chmodSync(userClaude, 0o755);
    const child = Bun.spawn(["npm", "start", "--silent", "--", "--port", "0", "--data-dir", join(directory, "npm-data"), "--warm-processes", "0", "--log-format", "json"], {
      cwd: projectRoot,
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
      detached: true,
      env: { PATH: `${userBin}:${process.env.PATH}`, HOME: directory },
    });
    let output = "";
    const reader = (async () => {
      for await (const chunk of child.stderr) output += new TextDecoder().decode(chunk);
    })();
    const deadline = Date.now() + 60_000;
    while (!/agent-relay listening/.test(output) && Date.now() < deadline) await Bun.sleep(25);
    process.kill(-child.pid, "SIGTERM");
    await child.exited;
    await reader;
    const listening = JSON.parse(output.split("\n").find((line) => line.includes("agent-relay listening"))!);
    expect(listening.providers.claude).toMatchObject({ type: "claude-cli", path: userClaude, version: "9.9.9" });
  });
});
