import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ConfigError, defaultDataDir, parseCommand, parseDuration, parseSize, type RelayConfig } from "../../src/config.ts";

const home = "/home/tester";
const baseEnv = { HOME: home };

/** Parses a serve command and returns its config; fails the test for help/version. */
function config(argv: string[], env: Record<string, string | undefined> = {}): RelayConfig {
  const command = parseCommand(argv, { ...baseEnv, ...env });
  if (command.kind !== "serve") throw new Error(`expected serve, got ${command.kind}`);
  return command.config;
}

function configError(argv: string[], env: Record<string, string | undefined> = {}): ConfigError {
  try {
    parseCommand(argv, { ...baseEnv, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(argv)}`);
}

describe("parseCommand defaults", () => {
  test("no arguments: loopback on 18082, no key, plain API mode", () => {
    const parsed = config([]);
    expect(parsed).toMatchObject({
      host: "127.0.0.1",
      port: 18082,
      claudeBin: "claude",
      maxConcurrent: 8,
      maxQueue: 64,
      idleTimeoutMs: 120_000,
      keepaliveIntervalMs: 15_000,
      cliMaxRetries: 1,
      agent: false,
      permissionMode: "default",
      corsOrigins: ["localhost"],
      shutdownGraceMs: 10_000,
      killGraceMs: 1500,
      logLevel: "info",
    });
    expect(parsed.apiKey).toBeUndefined();
    expect(parsed.defaultModel).toBeUndefined();
  });

  test("the data dir is the platform's per-user data dir, and the workdir lives inside it", () => {
    expect(defaultDataDir({ HOME: home }, "linux")).toBe(join(home, ".local", "share", "agent-relay"));
    expect(defaultDataDir({ HOME: home, XDG_DATA_HOME: "/xdg" }, "linux")).toBe("/xdg/agent-relay");
    expect(defaultDataDir({ HOME: home }, "darwin")).toBe(join(home, "Library", "Application Support", "agent-relay"));
    expect(defaultDataDir({ USERPROFILE: "C:/Users/t", LOCALAPPDATA: "C:/Users/t/AppData/Local" }, "win32")).toBe(join("C:/Users/t/AppData/Local", "agent-relay"));
    const parsed = config([], { XDG_DATA_HOME: "/xdg" });
    expect(parsed.dataDir).toBe(defaultDataDir({ HOME: home, XDG_DATA_HOME: "/xdg" }));
    expect(parsed.workdir).toBe(join(parsed.dataDir, "workspace"));
  });

  test("--data-dir and --workdir are resolved to absolute paths", () => {
    const parsed = config(["--data-dir", "relative/data"]);
    expect(parsed.dataDir).toBe(join(process.cwd(), "relative/data"));
    expect(parsed.workdir).toBe(join(process.cwd(), "relative/data", "workspace"));
    expect(config(["--workdir", "/srv/work"]).workdir).toBe("/srv/work");
  });

  test("the serve word is optional", () => {
    expect(config(["serve"])).toEqual(config([]));
    expect(config(["serve", "--port", "9000"]).port).toBe(9000);
  });
});

describe("parseCommand options", () => {
  test("--flag value and --flag=value", () => {
    expect(config(["--port", "9000"]).port).toBe(9000);
    expect(config(["--port=9001"]).port).toBe(9001);
    expect(config(["--model", "sonnet"]).defaultModel).toBe("sonnet");
    // Only the first "=" separates the name from the value.
    expect(config(["--api-key=abc=def"]).apiKey).toBe("abc=def");
  });

  test("AGENT_RELAY_* environment variables set options", () => {
    const parsed = config([], {
      AGENT_RELAY_PORT: "9100",
      AGENT_RELAY_CLAUDE_BIN: "/opt/claude",
      AGENT_RELAY_MAX_CONCURRENT: "2",
      AGENT_RELAY_IDLE_TIMEOUT: "30s",
      AGENT_RELAY_CORS_ORIGINS: "https://a.example, https://b.example",
      AGENT_RELAY_LOG_LEVEL: "debug",
    });
    expect(parsed).toMatchObject({ port: 9100, claudeBin: "/opt/claude", maxConcurrent: 2, idleTimeoutMs: 30_000, corsOrigins: ["https://a.example", "https://b.example"], logLevel: "debug" });
  });

  test("an empty environment variable is ignored", () => {
    expect(config([], { AGENT_RELAY_PORT: "" }).port).toBe(18082);
  });

  test("argv wins over the environment", () => {
    expect(config(["--port", "9200"], { AGENT_RELAY_PORT: "9100" }).port).toBe(9200);
    expect(config(["--log-level=warn"], { AGENT_RELAY_LOG_LEVEL: "debug" }).logLevel).toBe("warn");
  });

  const durations: Array<[string, number]> = [
    ["90", 90_000],
    ["90s", 90_000],
    ["1500ms", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5m", 90_000],
    ["0.5s", 500],
  ];
  for (const [text, ms] of durations) {
    test(`duration ${text} is ${ms} ms`, () => {
      expect(config(["--idle-timeout", text]).idleTimeoutMs).toBe(ms);
      expect(parseDuration(text)).toBe(ms);
    });
  }

  test("parseDuration rejects what is not a duration", () => {
    for (const text of ["", "s", "5x", "-5s", "1e3", "5 minutes"]) expect(parseDuration(text)).toBeUndefined();
  });

  test("boolean --agent, --agent=false and --no-agent", () => {
    expect(config(["--agent"]).agent).toBe(true);
    expect(config(["--agent=false"]).agent).toBe(false);
    expect(config(["--agent", "--no-agent"]).agent).toBe(false);
    expect(config(["--no-agent"], { AGENT_RELAY_AGENT: "true" }).agent).toBe(false);
    expect(config([], { AGENT_RELAY_AGENT: "yes" }).agent).toBe(true);
  });

  test("--permission-mode in agent mode", () => {
    expect(config(["--agent", "--permission-mode", "acceptEdits"]).permissionMode).toBe("acceptEdits");
  });

  test("--cors-origins is a trimmed list", () => {
    expect(config(["--cors-origins", " * ,"]).corsOrigins).toEqual(["*"]);
  });

  test("non-loopback host needs a key; loopback spellings do not", () => {
    expect(config(["--host", "0.0.0.0", "--api-key", "secret"]).host).toBe("0.0.0.0");
    expect(config(["--host", "0.0.0.0"], { AGENT_RELAY_API_KEY: "secret" }).apiKey).toBe("secret");
    for (const host of ["localhost", "127.0.0.1", "127.0.0.2", "::1", "[::1]"]) expect(config(["--host", host]).host).toBe(host);
  });
});

describe("parseCommand help and version", () => {
  for (const arg of ["--help", "-h", "help"]) {
    test(`${arg} -> help`, () => {
      expect(parseCommand([arg], baseEnv)).toEqual({ kind: "help" });
    });
  }
  for (const arg of ["--version", "-v", "version"]) {
    test(`${arg} -> version`, () => {
      expect(parseCommand([arg], baseEnv)).toEqual({ kind: "version" });
    });
  }
  test("help wins over options given before it", () => {
    expect(parseCommand(["serve", "--port", "9000", "--help"], baseEnv)).toEqual({ kind: "help" });
  });

  test("--help works even when an environment variable is invalid", () => {
    expect(parseCommand(["--help"], { ...baseEnv, AGENT_RELAY_PORT: "abc" })).toEqual({ kind: "help" });
  });
});

describe("parseCommand errors", () => {
  const cases: Array<{ name: string; argv: string[]; env?: Record<string, string>; says: string[] }> = [
    { name: "port not a number", argv: ["--port", "abc"], says: ["--port", '"abc"', "whole number"] },
    { name: "negative port", argv: ["--port", "-1"], says: ["--port", "whole number"] },
    { name: "port from the environment", argv: [], env: { AGENT_RELAY_PORT: "80x" }, says: ["AGENT_RELAY_PORT", '"80x"'] },
    { name: "max-concurrent below 1", argv: ["--max-concurrent", "0"], says: ["--max-concurrent", ">= 1"] },
    { name: "bad duration", argv: ["--idle-timeout", "soon"], says: ["--idle-timeout", "30s, 1500ms or 2m"] },
    { name: "zero idle timeout", argv: ["--idle-timeout", "0"], says: ["--idle-timeout", "positive"] },
    { name: "log level not a choice", argv: ["--log-level", "loud"], says: ["--log-level", "debug, info, warn, error"] },
    { name: "permission mode not a choice", argv: ["--agent", "--permission-mode", "yolo"], says: ["bypassPermissions"] },
    { name: "boolean not a boolean", argv: ["--agent=maybe"], says: ["--agent", "true or false"] },
    { name: "missing value", argv: ["--port"], says: ["--port needs a value"] },
    { name: "empty inline value", argv: ["--api-key="], says: ["--api-key", "a value"] },
    { name: "unknown option", argv: ["--prot", "9000"], says: ["unknown option --prot"] },
    { name: "positional argument", argv: ["start"], says: ['unexpected argument "start"'] },
    { name: "--no- on a non-boolean", argv: ["--no-port"], says: ["unknown option --no-port"] },
    { name: "non-loopback host without a key", argv: ["--host", "0.0.0.0"], says: ["0.0.0.0", "--api-key", "AGENT_RELAY_API_KEY"] },
    { name: "public IP without a key", argv: ["--host", "192.168.1.10"], says: ["--api-key"] },
    { name: "permission mode without agent mode", argv: ["--permission-mode", "plan"], says: ["--agent"] },
  ];
  for (const { name, argv, env, says } of cases) {
    test(name, () => {
      const error = configError(argv, env);
      for (const text of says) expect(error.message).toContain(text);
    });
  }

  test("a port above 65535 is a ConfigError", () => {
    expect(configError(["--port", "70000"]).message).toContain("--port");
  });
});

describe("recycling and memory options", () => {
  test("recycling is on by default; --no-recycle and AGENT_RELAY_RECYCLE=false turn it off, --recycle is still accepted", () => {
    const serve = (argv: string[], env: Record<string, string> = {}) => {
      const command = parseCommand(argv, env);
      if (command.kind !== "serve") throw new Error("expected serve");
      return command.config;
    };
    expect(serve([]).recycle).toBe(true);
    expect(serve(["--recycle"]).recycle).toBe(true);
    expect(serve([], { AGENT_RELAY_RECYCLE: "true" }).recycle).toBe(true);
    expect(serve([]).maxMemoryBytes).toBeUndefined();
    expect(serve(["--no-recycle"]).recycle).toBe(false);
    expect(serve([], { AGENT_RELAY_RECYCLE: "false" }).recycle).toBe(false);
    expect(serve(["--max-memory", "2G", "--recycle-max-rss", "512M"])).toMatchObject({ maxMemoryBytes: 2 * 1024 ** 3, recycleMaxRssBytes: 512 * 1024 ** 2 });
    expect(serve([]).spareIdleTimeoutMs).toBe(30_000);
    expect(serve(["--spare-idle-timeout", "0"]).spareIdleTimeoutMs).toBe(0);
    expect(serve([], { AGENT_RELAY_SPARE_IDLE_TIMEOUT: "2m" }).spareIdleTimeoutMs).toBe(120_000);
  });

  test("one size parser: memory sizes need a unit, byte limits take bare bytes; a bad one names the option", () => {
    expect(parseSize("1.5G")).toBe(Math.round(1.5 * 1024 ** 3));
    expect(parseSize("800MiB")).toBe(800 * 1024 ** 2);
    expect(parseSize("64k")).toBe(64 * 1024);
    expect(parseSize("32MB")).toBe(32 * 1024 ** 2);
    expect(parseSize("2 gib")).toBe(2 * 1024 ** 3);
    expect(parseSize("0", { unitRequired: true })).toBe(0);
    expect(parseSize("4096", { unitRequired: true })).toBeUndefined();
    expect(parseSize("4096")).toBe(4096);
    expect(parseSize("12 bananas")).toBeUndefined();
    const command = parseCommand(["--max-body-size", "1048576"], {});
    expect(command.kind === "serve" && command.config.maxBodyBytes).toBe(1_048_576);
    expect(() => parseCommand(["--max-memory", "4096"], {})).toThrow(/--max-memory: expected a size/);
    expect(() => parseCommand(["--max-memory", "lots"], {})).toThrow(/--max-memory: expected a size/);
    expect(() => parseCommand(["--max-memory", "0"], {})).toThrow(/--max-memory: expected a positive size/);
  });
});
