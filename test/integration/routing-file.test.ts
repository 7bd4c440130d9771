/**
 * The routing file as a user meets it: the relay started with --config routes by it and says where each
 * request went; `agent-relay config check` and `config show` validate and print it without starting; a
 * broken file stops the start with the line to fix.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { projectRoot, startTestRelay, type TestRelay } from "../support/test-relay.ts";

const directory = mkdtempSync(join(tmpdir(), "agent-relay-routing-file-"));
const routingFile = join(directory, "config.yaml");
writeFileSync(
  routingFile,
  [
    "providers:",
    "  claude:",
    "    type: claude-cli",
    "models:",
    '  "gpt-*": claude/haiku   # OpenAI names go to Claude Haiku',
    "default: claude",
    "",
  ].join("\n"),
);

let relay: TestRelay;

beforeAll(async () => {
  relay = await startTestRelay({ args: ["--config", routingFile] });
});
afterAll(async () => {
  await relay.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Runs the agent-relay CLI with these arguments; returns its exit code and output. */
function agentRelay(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync(["bun", "--no-env-file", join(projectRoot, "src", "cli.ts"), ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: directory, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("a relay started with --config", () => {
  test("a request for gpt-4o goes where the file says, and the response and the log line say so", async () => {
    relay.upstream.enqueue({ kind: "text", chunks: ["Routed."] });
    const client = new OpenAI({ baseURL: `${relay.url}/v1`, apiKey: "x", maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0].message.content).toBe("Routed.");
    expect(response.headers.get("x-agent-relay-provider")).toBe("claude");
    expect(response.headers.get("x-agent-relay-model")).toBe("haiku");
    const [upstreamRequest] = relay.upstream.messageRequests();
    expect(upstreamRequest.body.model).toContain("haiku");
    const line = relay.logs.find((entry) => entry.msg === "request completed" && entry.path === "/v1/chat/completions");
    expect(line).toMatchObject({ provider: "claude", provider_model: "haiku" });
    // The route chose a Claude model: the CLI never saw "gpt-4o", so nothing warns that it is not one.
    expect(relay.logs.some((entry) => entry.msg === "request parameter not honoured" && entry.parameter === "model")).toBe(false);
  });

  test("/health lists the providers", async () => {
    const health = (await (await fetch(`${relay.url}/health`)).json()) as { providers: Record<string, { type: string }> };
    expect(Object.keys(health.providers)).toEqual(["claude"]);
  });
});

describe("agent-relay config", () => {
  test("config check PATH validates without starting and says what it found", () => {
    const result = agentRelay(["config", "check", routingFile]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${routingFile}: OK (1 providers, 1 model routes)\n`);
  });

  test("config check names the line and key of every problem and exits 2", () => {
    const broken = join(directory, "broken.yaml");
    writeFileSync(broken, "providers:\n  router:\n    type: openai\n    base_url: https://openrouter.ai/api/v1\n    api_key: ${ROUTER_KEY}\nmodels:\n  opus: nowhere/gpt-5\n");
    const result = agentRelay(["config", "check", broken]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${broken}:5: providers.router.api_key: environment variable ROUTER_KEY is not set`);
    expect(result.stderr).toContain(`${broken}:7: models.opus: "nowhere/gpt-5" routes to provider "nowhere", which is not configured`);
  });

  test("config show prints the effective routes with the key masked", () => {
    const withKey = join(directory, "with-key.yaml");
    writeFileSync(withKey, "providers:\n  router:\n    type: openai\n    base_url: https://openrouter.ai/api/v1\n    api_key: ${ROUTER_KEY}\nmodels:\n  opus: router/openai/gpt-5.4\n");
    const result = agentRelay(["config", "show", "--config", withKey], { ROUTER_KEY: "sk-or-v1-secret-value-1234" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("opus  -> router/openai/gpt-5.4");
    expect(result.stdout).toContain("api_key: sk-…34");
    expect(result.stdout).not.toContain("secret-value");
  });

  test("config show without a file shows the built-in routing; with --backend openai the seed variables' routes", () => {
    expect(agentRelay(["config", "show"]).stdout).toContain("Anything else -> claude (the client's model)");
    const seeded = agentRelay(["config", "show", "--backend", "openai"], { OPENAI_BASE_URL: "http://127.0.0.1:11434/v1", BIG_MODEL: "qwen3:32b", SMALL_MODEL: "qwen3:8b" });
    expect(seeded.stdout).toContain("opus    -> openai/qwen3:32b");
    expect(seeded.stdout).toContain("haiku   -> openai/qwen3:8b");
  });

  test("a relay started with a broken file does not start: exit 2 and the line to fix", () => {
    const broken = join(directory, "bad-type.yaml");
    writeFileSync(broken, "providers:\n  vertex:\n    type: vertex\n");
    const result = agentRelay(["--config", broken, "--port", "0"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${broken}:3: providers.vertex.type: unknown provider type "vertex"`);
  });
});
