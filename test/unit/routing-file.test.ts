import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, parseCommand, type RelayConfig } from "../../src/config.ts";
import { describeRouting } from "../../src/config/describe-routing.ts";
import { parseRoutingFile } from "../../src/config/load-routing-file.ts";
import { resolveRouting } from "../../src/config/resolve-routing.ts";
import { defaultRoutingFilePath, type OpenAIProviderConfig } from "../../src/config/routing-config.ts";
import { seedProxyRouting } from "../../src/config/seed-proxy-routing.ts";
import { resolveRoute } from "../../src/router/route-table.ts";

/** The example of the README, as users will write it. */
const example = `
providers:
  openrouter:
    type: openai                 # openai | claude-cli
    base_url: https://openrouter.ai/api/v1
    api_key: \${OPENROUTER_API_KEY}
    headers: { HTTP-Referer: https://example.org }
    models:
      openai/gpt-5.4: { max_output_tokens: 128000 }
  local:
    type: openai
    base_url: http://127.0.0.1:11434/v1/
    pdf: text
    system_prompt: { max_tokens: 2000, compact: true }
    timeout: 90s
  azure:
    type: openai
    base_url: https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT
    api_key: \${AZURE_OPENAI_API_KEY}
    api_version: 2024-12-01-preview
  claude:
    type: claude-cli
models:
  opus: openrouter/openai/gpt-5.4
  sonnet: [openrouter/openai/gpt-5.4-mini, local/qwen3:8b]
  "claude-haiku-*": local/qwen3:8b
  "gpt-*": claude/sonnet
default: claude
`;

const env = { OPENROUTER_API_KEY: "sk-or-v1-0123456789abcdef", AZURE_OPENAI_API_KEY: "azure-secret-key-0123456789" };
const parse = (text: string, environment: Record<string, string | undefined> = env) => parseRoutingFile(text, { path: "/etc/relay.yaml", env: environment });

function problems(text: string, environment: Record<string, string | undefined> = env): string {
  try {
    parse(text, environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("the routing file", () => {
  test("the README example: providers with their settings, routes in order, the default", () => {
    const routing = parse(example);
    expect([...routing.providers.keys()]).toEqual(["claude", "openrouter", "local", "azure"]);
    expect(routing.providers.get("openrouter")).toEqual({
      type: "openai",
      name: "openrouter",
      baseUrl: "https://openrouter.ai/api/v1",
      apiKey: "sk-or-v1-0123456789abcdef",
      headers: { "HTTP-Referer": "https://example.org" },
      apiVersion: undefined,
      models: { "openai/gpt-5.4": { maxOutputTokens: 128000, contextWindow: undefined } },
      pdf: "file",
      systemPrompt: undefined,
      timeoutMs: 600_000,
    } satisfies OpenAIProviderConfig);
    expect(routing.providers.get("local")).toMatchObject({ baseUrl: "http://127.0.0.1:11434/v1", pdf: "text", systemPrompt: { maxTokens: 2000, compact: true }, timeoutMs: 90_000 });
    expect(routing.providers.get("azure")).toMatchObject({ apiVersion: "2024-12-01-preview", apiKey: "azure-secret-key-0123456789" });
    const targets = (model: string) => resolveRoute(routing.routes, model).targets.map((target) => `${target.provider}/${target.model}`);
    expect(targets("claude-opus-4-7")).toEqual(["openrouter/openai/gpt-5.4"]);
    expect(targets("sonnet")).toEqual(["openrouter/openai/gpt-5.4-mini", "local/qwen3:8b"]);
    expect(targets("claude-haiku-4-5")).toEqual(["local/qwen3:8b"]);
    expect(targets("gpt-4o")).toEqual(["claude/sonnet"]);
    expect(targets("llama3")).toEqual(["claude/llama3"]);
    expect(targets("local/llama3.2:1b")).toEqual(["local/llama3.2:1b"]);
  });

  test("an empty file is the built-in routing: the claude CLI serves everything", () => {
    const routing = parse("# nothing yet\n");
    expect([...routing.providers.keys()]).toEqual(["claude"]);
    expect(resolveRoute(routing.routes, "gpt-4o").targets).toEqual([{ provider: "claude", model: "gpt-4o" }]);
  });

  test("a missing variable is an error naming it, the key and the line", () => {
    expect(problems(example, { OPENROUTER_API_KEY: "x" })).toBe("/etc/relay.yaml:19: providers.azure.api_key: environment variable AZURE_OPENAI_API_KEY is not set");
  });

  test("an unknown provider type names the key and the line", () => {
    expect(problems("providers:\n  vertex:\n    type: vertex\n")).toBe('/etc/relay.yaml:3: providers.vertex.type: unknown provider type "vertex" (expected one of openai, anthropic, bedrock, claude-cli)');
  });

  test("a route to a provider that does not exist names the key and the line", () => {
    expect(problems("models:\n  opus: openrouter/gpt-5\n")).toContain('/etc/relay.yaml:2: models.opus: "openrouter/gpt-5" routes to provider "openrouter", which is not configured');
    expect(problems("default: nowhere\n")).toContain('/etc/relay.yaml:1: default: "nowhere" routes to provider "nowhere"');
  });

  test("a bad glob names the key and the line", () => {
    expect(problems('models:\n  sonnet: claude\n  "gpt-[45]": claude\n')).toBe('/etc/relay.yaml:3: models.gpt-[45]: "gpt-[45]" uses a wildcard other than *; only * (any characters) is supported');
  });

  test("top_k and reasoning_content are true or false", () => {
    const routing = parse("providers:\n  deep:\n    type: openai\n    base_url: https://api.deepseek.com/v1\n    top_k: false\n    reasoning_content: true\n");
    expect(routing.providers.get("deep")).toMatchObject({ topK: false, reasoningContent: true });
    expect(problems("providers:\n  deep:\n    type: openai\n    base_url: https://api.deepseek.com/v1\n    top_k: sometimes\n")).toBe("/etc/relay.yaml:5: providers.deep.top_k: must be true or false");
  });

  test("every problem is reported at once, each with its line", () => {
    const message = problems("providers:\n  a:\n    type: openai\n    base_url: ftp://x\n    colour: blue\nmodels:\n  opus: b/x\n");
    expect(message.split("\n")).toEqual([
      "/etc/relay.yaml:4: providers.a.base_url: must be an http:// or https:// URL: the API root, e.g. https://openrouter.ai/api/v1",
      "/etc/relay.yaml:5: providers.a.colour: unknown key (expected one of type, base_url, api_key, headers, api_version, models, pdf, system_prompt, timeout, top_k, reasoning_content, passthrough)",
      '/etc/relay.yaml:7: models.opus: "b/x" routes to provider "b", which is not configured (providers: claude, a)',
    ]);
  });

  test("invalid YAML names the line", () => {
    expect(problems("providers:\n  a:\n    type: openai\n    headers: { x: [1, }\nmodels: {}\n")).toMatch(/^\/etc\/relay\.yaml:4: not valid YAML/);
  });

  test("claude is always the claude CLI", () => {
    expect(problems("providers:\n  claude:\n    type: openai\n    base_url: http://x\n")).toContain("providers.claude.type");
    expect(problems("providers:\n  other:\n    type: claude-cli\n")).toContain('always named "claude"');
  });
});

describe("--backend openai: the seed proxies' variables", () => {
  test("OPENAI_BASE_URL, OPENAI_API_KEY, BIG/MIDDLE/SMALL_MODEL, AZURE_API_VERSION and CUSTOM_HEADER_* build the same routes", () => {
    const routing = seedProxyRouting({
      OPENAI_BASE_URL: "https://example.openai.azure.com/openai/deployments/d1/",
      OPENAI_API_KEY: "sk-seed",
      BIG_MODEL: "gpt-5.4",
      MIDDLE_MODEL: "gpt-5.4-mini",
      SMALL_MODEL: "gpt-5.4-nano",
      AZURE_API_VERSION: "2024-12-01-preview",
      CUSTOM_HEADER_X_TEAM: "blue",
      CUSTOM_HEADER_OPENAI_ORGANIZATION: "org-1",
    });
    expect(routing.providers.get("openai")).toMatchObject({
      baseUrl: "https://example.openai.azure.com/openai/deployments/d1",
      apiKey: "sk-seed",
      apiVersion: "2024-12-01-preview",
      headers: { "x-team": "blue", "openai-organization": "org-1" },
    });
    const target = (model: string) => resolveRoute(routing.routes, model).targets[0];
    expect(target("claude-opus-4-7")).toEqual({ provider: "openai", model: "gpt-5.4" });
    expect(target("claude-sonnet-5")).toEqual({ provider: "openai", model: "gpt-5.4-mini" });
    expect(target("claude-3-5-haiku-latest")).toEqual({ provider: "openai", model: "gpt-5.4-nano" });
    expect(target("deepseek-chat")).toEqual({ provider: "openai", model: "deepseek-chat" });
  });

  test("defaults as in the seeds; MIDDLE follows BIG; *_MODEL_NAME and OPENAI_MODEL work too", () => {
    const defaults = seedProxyRouting({});
    const target = (routing: ReturnType<typeof seedProxyRouting>, model: string) => resolveRoute(routing.routes, model).targets[0].model;
    expect(defaults.providers.get("openai")).toMatchObject({ baseUrl: "https://api.openai.com/v1" });
    expect([target(defaults, "opus"), target(defaults, "sonnet"), target(defaults, "haiku")]).toEqual(["gpt-4o", "gpt-4o", "gpt-4o-mini"]);
    const named = seedProxyRouting({ BIG_MODEL_NAME: "big-one", SMALL_MODEL_NAME: "small-one" });
    expect([target(named, "opus"), target(named, "sonnet"), target(named, "haiku")]).toEqual(["big-one", "big-one", "small-one"]);
    const everything = seedProxyRouting({ OPENAI_MODEL: "qwen3:8b" });
    expect([target(everything, "opus"), target(everything, "haiku"), target(everything, "gpt-4o")]).toEqual(["qwen3:8b", "qwen3:8b", "qwen3:8b"]);
  });
});

describe("choosing the routing", () => {
  const serveConfig = (argv: string[], environment: Record<string, string>): RelayConfig => {
    const command = parseCommand(argv, environment);
    if (command.kind !== "serve") throw new Error("expected serve");
    return command.config;
  };

  test("--config or AGENT_RELAY_CONFIG names the file; the default location is used when it exists; --backend openai only without a file", () => {
    const home = mkdtempSync(join(tmpdir(), "agent-relay-routing-"));
    try {
      const environment = { HOME: home, ...env };
      expect(resolveRouting(serveConfig([], environment), environment).source).toBe("built-in");
      expect(resolveRouting(serveConfig(["--backend", "openai"], environment), environment).source).toBe("--backend openai");
      expect(resolveRouting(serveConfig([], { ...environment, AGENT_RELAY_BACKEND: "openai" }), environment).source).toBe("--backend openai");

      const explicit = join(home, "routes.yaml");
      writeFileSync(explicit, example);
      expect(resolveRouting(serveConfig(["--config", explicit], environment), environment).source).toBe(explicit);
      expect(resolveRouting(serveConfig([], { ...environment, AGENT_RELAY_CONFIG: explicit }), environment).source).toBe(explicit);
      expect(() => resolveRouting(serveConfig(["--config", join(home, "missing.yaml")], environment), environment)).toThrow(/does not exist/);

      const fallback = defaultRoutingFilePath(environment, "linux");
      expect(fallback).toBe(join(home, ".config", "agent-relay", "config.yaml"));
      Bun.spawnSync(["mkdir", "-p", join(home, ".config", "agent-relay")]);
      writeFileSync(fallback, "default: claude\n");
      expect(resolveRouting(serveConfig([], environment), environment).source).toBe(fallback);
      expect(() => resolveRouting(serveConfig(["--backend", "openai"], environment), environment)).toThrow(/only when there is no routing file/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test("on Windows the file lives under %APPDATA%", () => {
    expect(defaultRoutingFilePath({ APPDATA: "C:\\Users\\me\\AppData\\Roaming" }, "win32")).toContain(join("C:\\Users\\me\\AppData\\Roaming", "agent-relay", "config.yaml"));
  });

  test("config check [PATH] and config show parse as commands", () => {
    expect(parseCommand(["config", "check", "/x.yaml"], {})).toMatchObject({ kind: "config", action: "check", path: "/x.yaml" });
    expect(parseCommand(["config", "show", "--config", "/x.yaml"], {})).toMatchObject({ kind: "config", action: "show", config: { routingFile: "/x.yaml" } });
    expect(() => parseCommand(["config", "edit"], {})).toThrow(ConfigError);
  });
});

describe("config show", () => {
  test("prints providers and routes with secrets masked", () => {
    const text = describeRouting(parse(example));
    expect(text).toContain("openrouter: openai https://openrouter.ai/api/v1");
    expect(text).toContain("api_key: sk-…ef");
    expect(text).not.toContain("sk-or-v1-0123456789abcdef");
    expect(text).not.toContain("azure-secret-key-0123456789");
    expect(text).toContain("sonnet          -> openrouter/openai/gpt-5.4-mini -> local/qwen3:8b");
    expect(text).toContain("Anything else -> claude (the client's model)");
  });
});
