import { describe, expect, test } from "bun:test";
import {
  buildClaudeInvocation,
  pointsAtRelay,
  resolveClaudeModel,
  splitConversation,
  type ClaudeInvocationSettings,
} from "../../src/backends/claude/build-claude-invocation.ts";
import { RelayError } from "../../src/core/relay-error.ts";
import type { RelayMessage, RelayRequest } from "../../src/core/relay-request.ts";

const user = (text: string): RelayMessage => ({ role: "user", content: [{ type: "text", text }] });
const assistant = (text: string): RelayMessage => ({ role: "assistant", content: [{ type: "text", text }] });

const settings: ClaudeInvocationSettings = {
  cliMaxRetries: 1,
  agent: false,
  permissionMode: "default",
  relayAddress: { host: "127.0.0.1", port: 18082 },
};

const relayRequest = (fields: Partial<RelayRequest> = {}): RelayRequest => ({ model: "sonnet", messages: [user("hi")], stream: false, warnings: [], ...fields });
const build = (fields: Partial<RelayRequest> = {}, overrides: Partial<ClaudeInvocationSettings> = {}, baseEnv: Record<string, string | undefined> = {}) =>
  buildClaudeInvocation(relayRequest(fields), { ...settings, ...overrides }, baseEnv);

function thrown(action: () => unknown): RelayError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RelayError);
    return error as RelayError;
  }
  throw new Error("expected a RelayError");
}

describe("resolveClaudeModel", () => {
  const passThrough = ["sonnet", "opus", "haiku", "fable", "best", "opusplan", "sonnet[1m]", "OPUS", "claude-opus-4-8", "claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022"];
  for (const name of passThrough) {
    test(`${name} is passed to the CLI as given`, () => {
      expect(resolveClaudeModel(name, "haiku")).toEqual({ model: name });
    });
  }

  test("surrounding whitespace is trimmed", () => {
    expect(resolveClaudeModel("  sonnet ", undefined)).toEqual({ model: "sonnet" });
  });

  test("default and empty mean the configured default, or the CLI's own", () => {
    expect(resolveClaudeModel("default", "opus")).toEqual({ model: "opus" });
    expect(resolveClaudeModel("", "opus")).toEqual({ model: "opus" });
    expect(resolveClaudeModel("default", undefined)).toEqual({ model: undefined });
  });

  test("gpt-4o becomes the default with a warning naming it", () => {
    const withDefault = resolveClaudeModel("gpt-4o", "sonnet");
    expect(withDefault.model).toBe("sonnet");
    expect(withDefault.warning).toMatchObject({ parameter: "model" });
    expect(withDefault.warning!.message).toContain("gpt-4o");
    expect(withDefault.warning!.message).toContain("sonnet");
    const cliDefault = resolveClaudeModel("gpt-4o", undefined);
    expect(cliDefault.model).toBeUndefined();
    expect(cliDefault.warning!.message).toContain("the CLI's default model");
  });
});

describe("pointsAtRelay", () => {
  const relay = { host: "127.0.0.1", port: 18082 };
  const cases: Array<[string, { host: string; port: number }, boolean]> = [
    ["http://localhost:18082", relay, true],
    ["http://127.0.0.1:18082/", relay, true],
    ["http://127.0.0.5:18082/v1", relay, true],
    ["http://[::1]:18082", relay, true],
    ["http://0.0.0.0:18082", relay, true],
    ["http://LOCALHOST:18082", relay, true],
    ["http://localhost:18083", relay, false],
    ["http://127.0.0.1:9200", relay, false],
    ["https://api.anthropic.com", relay, false],
    ["http://example.com:18082", relay, false],
    ["http://192.168.1.5:18082", { host: "192.168.1.5", port: 18082 }, true],
    ["http://[::1]:18082", { host: "[::1]", port: 18082 }, true],
    ["http://localhost", { host: "127.0.0.1", port: 80 }, true],
    ["https://localhost", { host: "127.0.0.1", port: 443 }, true],
    ["https://localhost", { host: "127.0.0.1", port: 80 }, false],
    ["not a url", relay, false],
  ];
  for (const [url, address, expected] of cases) {
    test(`${url} with the relay on ${address.host}:${address.port} -> ${expected}`, () => {
      expect(pointsAtRelay(url, address)).toBe(expected);
    });
  }
});

describe("splitConversation", () => {
  test("one user message: no history", () => {
    expect(splitConversation([user("hi")])).toEqual({ history: [], turn: user("hi") });
  });

  test("earlier turns become history; the last user turn is the new turn", () => {
    expect(splitConversation([user("a"), assistant("b"), user("c")])).toEqual({ history: [user("a"), assistant("b")], turn: user("c") });
  });

  test("consecutive same-role turns are merged, in order", () => {
    const { history, turn } = splitConversation([user("a"), user("b"), assistant("c"), assistant("d"), user("e"), user("f")]);
    expect(history).toEqual([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: [{ type: "text", text: "c" }, { type: "text", text: "d" }] },
    ]);
    expect(turn).toEqual({ role: "user", content: [{ type: "text", text: "e" }, { type: "text", text: "f" }] });
  });

  test("merging does not change the caller's messages", () => {
    const messages = [user("a"), user("b")];
    splitConversation(messages);
    expect(messages).toEqual([user("a"), user("b")]);
  });

  test("a trailing assistant message (prefill) is a 400 on messages", () => {
    const error = thrown(() => splitConversation([user("a"), assistant("The answer is")]));
    expect(error).toMatchObject({ kind: "invalid_request", status: 400, param: "messages" });
    expect(error.message).toContain("prefill");
  });

  test("no messages is a 400", () => {
    expect(thrown(() => splitConversation([]))).toMatchObject({ status: 400, param: "messages" });
  });
});

describe("buildClaudeInvocation", () => {
  test("plain API mode: stream-json in and out, no tools, no MCP servers, no session file written by the CLI", () => {
    const { args } = build();
    expect(args.slice(0, 5)).toEqual(["-p", "--input-format", "stream-json", "--output-format", "stream-json"]);
    for (const flag of ["--verbose", "--include-partial-messages", "--no-session-persistence", "--strict-mcp-config"]) expect(args).toContain(flag);
    expect(args[args.indexOf("--tools") + 1]).toBe("");
    expect(args).not.toContain("--permission-mode");
    expect(args[args.indexOf("--model") + 1]).toBe("sonnet");
  });

  test("agent mode: the CLI's tools and the permission mode, no --tools \"\"", () => {
    const defaultTools = build({}, { agent: true, permissionMode: "acceptEdits" }).args;
    expect(defaultTools).not.toContain("--tools");
    expect(defaultTools).not.toContain("--strict-mcp-config");
    expect(defaultTools[defaultTools.indexOf("--permission-mode") + 1]).toBe("acceptEdits");
    const someTools = build({}, { agent: true, agentTools: "Read,Grep" }).args;
    expect(someTools[someTools.indexOf("--tools") + 1]).toBe("Read,Grep");
  });

  test("no --model when the CLI's default is used", () => {
    const invocation = build({ model: "default" });
    expect(invocation.args).not.toContain("--model");
    expect(invocation.model).toBeUndefined();
  });

  test("a non-Claude model adds its warning to the request's warnings", () => {
    const invocation = build({ model: "gpt-4o", warnings: [{ parameter: "seed", message: "no seed" }] }, { defaultModel: "haiku" });
    expect(invocation.args[invocation.args.indexOf("--model") + 1]).toBe("haiku");
    expect(invocation.warnings.map((warning) => warning.parameter)).toEqual(["seed", "model"]);
  });

  test("client tools are offered through the in-process MCP server and allowed without a prompt", () => {
    const invocation = build({ tools: [{ name: "f", inputSchema: {} }] });
    expect(invocation.warnings).toEqual([]);
    expect(invocation.args.join(" ")).toContain("--allowedTools mcp__relay");
    expect((invocation.initialize as any).request.sdkMcpServers).toEqual(["relay"]);
    expect(invocation.offeredTools.map((tool) => tool.name)).toEqual(["f"]);
  });

  test("sampling parameters travel in CLAUDE_CODE_EXTRA_BODY, max tokens in CLAUDE_CODE_MAX_OUTPUT_TOKENS", () => {
    const { env } = build({ temperature: 0.2, topP: 0.9, topK: 5, stopSequences: ["END", "\n\nUser:"], maxOutputTokens: 300 });
    expect(JSON.parse(env.CLAUDE_CODE_EXTRA_BODY!)).toEqual({ temperature: 0.2, top_p: 0.9, top_k: 5, stop_sequences: ["END", "\n\nUser:"] });
    expect(env.CLAUDE_CODE_MAX_OUTPUT_TOKENS).toBe("300");
  });

  test("temperature 0 is sent, not dropped as falsy", () => {
    expect(JSON.parse(build({ temperature: 0 }).env.CLAUDE_CODE_EXTRA_BODY!)).toEqual({ temperature: 0 });
  });

  test("per-request variables from the relay's own environment do not leak into the CLI", () => {
    const { env } = build({}, {}, { CLAUDE_CODE_EXTRA_BODY: '{"temperature":1}', CLAUDE_CODE_MAX_OUTPUT_TOKENS: "5", CLAUDE_CODE_EFFORT_LEVEL: "max", PATH: "/usr/bin" });
    expect(env.CLAUDE_CODE_EXTRA_BODY).toBeUndefined();
    expect(env.CLAUDE_CODE_MAX_OUTPUT_TOKENS).toBeUndefined();
    expect(env.CLAUDE_CODE_EFFORT_LEVEL).toBeUndefined();
    expect(env.PATH).toBe("/usr/bin");
  });

  const thinkingCases: Array<[string, Partial<RelayRequest>, string | undefined]> = [
    ["absent", {}, "0"],
    ["disabled", { thinking: { type: "disabled" } }, "0"],
    ["enabled with a budget", { thinking: { type: "enabled", budgetTokens: 2048 } }, "2048"],
    ["enabled without a budget", { thinking: { type: "enabled" } }, undefined],
    ["adaptive", { thinking: { type: "adaptive" } }, undefined],
  ];
  for (const [name, fields, expected] of thinkingCases) {
    test(`thinking ${name} -> MAX_THINKING_TOKENS ${expected}`, () => {
      expect(build(fields, {}, { MAX_THINKING_TOKENS: "9999" }).env.MAX_THINKING_TOKENS).toBe(expected);
    });
  }

  test("effort sets CLAUDE_CODE_EFFORT_LEVEL", () => {
    expect(build({ effort: "low" }).env.CLAUDE_CODE_EFFORT_LEVEL).toBe("low");
  });

  test("retries, auto-update and (in plain mode) CLAUDE.md and memory are set", () => {
    const { env } = build({}, { cliMaxRetries: 0 });
    expect(env).toMatchObject({ CLAUDE_CODE_MAX_RETRIES: "0", DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_CLAUDE_MDS: "1", CLAUDE_CODE_DISABLE_AUTO_MEMORY: "1" });
    const agentEnv = build({}, { agent: true }).env;
    expect(agentEnv.CLAUDE_CODE_DISABLE_CLAUDE_MDS).toBeUndefined();
  });

  test("an ANTHROPIC_BASE_URL pointing at the relay is removed; another one is kept", () => {
    expect(build({}, {}, { ANTHROPIC_BASE_URL: "http://localhost:18082" }).env.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(build({}, {}, { ANTHROPIC_BASE_URL: "http://127.0.0.1:9200" }).env.ANTHROPIC_BASE_URL).toBe("http://127.0.0.1:9200");
  });

  test("the relay's own environment object is not modified", () => {
    const baseEnv = { ANTHROPIC_BASE_URL: "http://localhost:18082", CLAUDE_CODE_EXTRA_BODY: "{}", MAX_THINKING_TOKENS: "5" };
    build({ temperature: 0.5 }, {}, baseEnv);
    expect(baseEnv).toEqual({ ANTHROPIC_BASE_URL: "http://localhost:18082", CLAUDE_CODE_EXTRA_BODY: "{}", MAX_THINKING_TOKENS: "5" });
  });

  test("plain mode replaces the CLI's system prompt; agent mode appends the client's", () => {
    expect(build({ system: "Be brief." }).initialize).toEqual({
      type: "control_request",
      request_id: "relay_init",
      request: { subtype: "initialize", systemPrompt: ["Be brief."] },
    });
    expect(build().initialize.request).toEqual({ subtype: "initialize", systemPrompt: [""] });
    expect(build({ system: "Be brief." }, { agent: true }).initialize.request).toEqual({ subtype: "initialize", appendSystemPrompt: "Be brief." });
    expect(build({}, { agent: true }).initialize.request).toEqual({ subtype: "initialize" });
  });

  test("the last user turn goes on stdin as the CLI's user message; earlier turns are history", () => {
    const invocation = build({ messages: [user("a"), assistant("b"), user("c"), { role: "user", content: [{ type: "image", source: { kind: "url", url: "https://x/y.png" } }] }] });
    expect(invocation.history).toEqual([user("a"), assistant("b")]);
    expect(invocation.userMessage).toEqual({
      type: "user",
      message: {
        role: "user",
        content: [
          { type: "text", text: "c" },
          { type: "image", source: { type: "url", url: "https://x/y.png" } },
        ],
      },
      parent_tool_use_id: null,
    });
  });

  test("a last user message with nothing to send is a 400", () => {
    expect(thrown(() => build({ messages: [user("")] }))).toMatchObject({ status: 400, param: "messages" });
  });
});
