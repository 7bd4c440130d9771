/**
 * The service's unit files as their managers read them: the systemd unit through `systemd-analyze verify`, the
 * LaunchAgent plist through an independent plist parser; and the serve options as `service install` turns them
 * into a command line (validated like serve, the API key kept out of it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as plist from "plist";
import { ConfigError } from "../../src/config.ts";
import { renderLaunchdPlist } from "../../src/service/render-launchd-plist.ts";
import { quoteSystemdWord, renderSystemdUnit } from "../../src/service/render-systemd-unit.ts";
import { buildServiceDefinition, type ServiceDefinition } from "../../src/service/service-definition.ts";
import { resolveServiceLayout, UnsupportedPlatformError } from "../../src/service/service-layout.ts";

let temp: string;
let binary: string;
let claudeDirectory: string;

beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "agent-relay-service-units-"));
  binary = join(temp, "opt", "agent relay %h $HOME", "agent-relay");
  claudeDirectory = join(temp, "claude-bin");
  mkdirSync(join(temp, "opt", "agent relay %h $HOME"), { recursive: true });
  mkdirSync(claudeDirectory);
  writeFileSync(binary, "#!/bin/sh\nexit 0\n");
  writeFileSync(join(claudeDirectory, "claude"), "#!/bin/sh\nexit 0\n");
  chmodSync(binary, 0o755);
  chmodSync(join(claudeDirectory, "claude"), 0o755);
});

afterAll(() => rmSync(temp, { recursive: true, force: true }));

function define(serveArguments: string[], env: Record<string, string> = {}): ServiceDefinition {
  return buildServiceDefinition({
    serveArguments,
    relayCommand: [binary],
    env: { HOME: join(temp, "home"), PATH: `${claudeDirectory}:/usr/bin:/bin`, ...env },
    cwd: join(temp, "cwd"),
  });
}

describe("buildServiceDefinition", () => {
  test("runs the binary with serve and exactly the given options, relative paths made absolute", () => {
    const definition = define(["--port", "18999", "--data-dir", "data", "--agent", "--cors-origins=none"]);
    expect(definition.programArguments).toEqual([binary, "serve", "--port=18999", `--data-dir=${join(temp, "cwd", "data")}`, "--agent", "--cors-origins=none"]);
    expect(definition.url).toBe("http://127.0.0.1:18999");
  });

  test("moves the API key out of the command line into the secrets", () => {
    const definition = define(["--host", "0.0.0.0", "--api-key", "sk-relay-secret", "--port=18100"]);
    expect(definition.programArguments.join(" ")).not.toContain("sk-relay-secret");
    expect(definition.secrets).toEqual({ AGENT_RELAY_API_KEY: "sk-relay-secret" });
    expect(definition.url).toBe("http://127.0.0.1:18100");
  });

  test("captures PATH and HOME and finds the claude CLI on that PATH", () => {
    const definition = define([]);
    expect(definition.environment).toEqual({ PATH: `${claudeDirectory}:/usr/bin:/bin`, HOME: join(temp, "home") });
    expect(definition.claudePath).toBe(join(claudeDirectory, "claude"));
  });

  test("takes CLAUDE_CONFIG_DIR along, and proxy settings (which may hold a password) as secrets", () => {
    const definition = define([], { CLAUDE_CONFIG_DIR: "/home/me/.claude-work", HTTPS_PROXY: "http://me:pw@proxy:3128", NO_PROXY: "localhost", EDITOR: "vim" });
    expect(definition.environment).toEqual({ PATH: `${claudeDirectory}:/usr/bin:/bin`, HOME: join(temp, "home"), CLAUDE_CONFIG_DIR: "/home/me/.claude-work" });
    expect(definition.secrets).toEqual({ HTTPS_PROXY: "http://me:pw@proxy:3128", NO_PROXY: "localhost" });
  });

  test("puts the directory of an explicit --claude-bin on PATH", () => {
    const definition = define(["--claude-bin", join(claudeDirectory, "claude")], { PATH: "/usr/bin:/bin" });
    expect(definition.environment.PATH).toBe(`${claudeDirectory}:/usr/bin:/bin`);
    expect(definition.claudePath).toBe(join(claudeDirectory, "claude"));
  });

  test("reports a claude CLI that is not on PATH instead of guessing", () => {
    expect(define([], { PATH: "/usr/bin:/bin" }).claudePath).toBeUndefined();
  });

  test.each([
    [["--port", "0"], "--port 0 picks a new port at every start"],
    [["--port", "70000"], '--port: expected a number <= 65535, got "70000"'],
    [["--host", "0.0.0.0"], "refusing to listen on 0.0.0.0 without a key"],
    [["--bogus"], "unknown option --bogus"],
    [["serve"], 'unexpected argument "serve"'],
    [["--idle-timeout", "soon"], '--idle-timeout: expected a duration'],
    [["--api-key", "it's"], "--api-key for a service must not contain a single quote"],
  ])("refuses %j like serve does: %s", (serveArguments, message) => {
    expect(() => define(serveArguments)).toThrow(ConfigError);
    expect(() => define(serveArguments)).toThrow(message);
  });

  test("does not let the installing shell's AGENT_RELAY_* variables satisfy validation", () => {
    expect(() => define(["--host", "0.0.0.0"], { AGENT_RELAY_API_KEY: "from-the-shell" })).toThrow("without a key");
  });
});

const systemdAnalyze = Bun.which("systemd-analyze");

describe("systemd unit", () => {
  test("quotes words so systemd reads them back literally", () => {
    expect(quoteSystemdWord('a "b" \\ %h $HOME')).toBe('"a \\"b\\" \\\\ %%h $$HOME"');
    expect(quoteSystemdWord("/opt/$x/agent-relay", "executable")).toBe('"/opt/$x/agent-relay"');
  });

  test("has the settings the relay needs", () => {
    const definition = define(["--api-key", "sk-1", "--shutdown-grace", "30s"]);
    const unit = renderSystemdUnit({ definition, environmentFilePath: join(temp, "home", ".config", "agent-relay", "service.env"), version: "1.2.3" });
    expect(unit).toContain(`ExecStart=${quoteSystemdWord(binary, "executable")} "serve" "--shutdown-grace=30s"\n`);
    expect(unit).toContain(`EnvironmentFile=${join(temp, "home", ".config", "agent-relay", "service.env")}\n`);
    expect(unit).toContain("Restart=on-failure\n");
    expect(unit).toContain("KillMode=mixed\n");
    expect(unit).toContain("TimeoutStopSec=42\n"); // 30 s grace + 1.5 s kill grace, rounded up, + 10 s
    expect(unit).toContain("WantedBy=default.target\n");
    expect(unit).not.toContain("sk-1");
  });

  test.skipIf(!systemdAnalyze)("passes systemd-analyze verify, and a broken unit does not", () => {
    const home = join(temp, "verify-home");
    const runtime = join(temp, "verify-runtime");
    mkdirSync(join(home, ".config", "agent-relay"), { recursive: true });
    mkdirSync(runtime, { mode: 0o700 });
    const environmentFile = join(home, ".config", "agent-relay", "service.env");
    writeFileSync(environmentFile, "AGENT_RELAY_API_KEY='sk-1'\n", { mode: 0o600 });
    const definition = define(["--api-key", "sk-1", "--port", "18123"]);
    const unitPath = join(temp, "agent-relay.service");
    const verify = (text: string) => {
      writeFileSync(unitPath, text);
      const result = Bun.spawnSync([systemdAnalyze!, "verify", "--user", unitPath], { env: { PATH: "/usr/bin:/bin", HOME: home, XDG_RUNTIME_DIR: runtime } });
      return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}`.trim() };
    };
    const good = verify(renderSystemdUnit({ definition, environmentFilePath: environmentFile, version: "1.2.3" }));
    expect(good).toEqual({ exitCode: 0, output: "" });
    // Proof that the check can fail: systemd rejects a relative executable, and warns about an unknown setting.
    const unit = renderSystemdUnit({ definition, environmentFilePath: environmentFile, version: "1.2.3" });
    const relative = verify(unit.replace(`ExecStart="/`, `ExecStart="`));
    expect(relative.exitCode).not.toBe(0);
    expect(relative.output).toContain("Neither a valid executable name nor an absolute path");
    expect(verify(unit.replace("KillMode=mixed", "KillMode=gentle")).output).toContain("Failed to parse kill mode");
  });
  if (!systemdAnalyze) console.warn("skipped: systemd-analyze is not installed (Debian package systemd); the unit is not verified by systemd");
});

describe("launchd plist", () => {
  const logPath = "/Users/me/Library/Logs/agent-relay/agent-relay.log";

  test("parses as an XML property list with the keys launchd needs", () => {
    const definition = define(["--port", "18200"]);
    const parsed = plist.parse(renderLaunchdPlist({ definition, label: "dev.agent-relay", logPath })) as Record<string, unknown>;
    expect(parsed).toEqual({
      Label: "dev.agent-relay",
      ProgramArguments: [binary, "serve", "--port=18200"],
      EnvironmentVariables: { PATH: `${claudeDirectory}:/usr/bin:/bin`, HOME: join(temp, "home") },
      WorkingDirectory: join(temp, "home"),
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ExitTimeOut: 22,
      StandardOutPath: logPath,
      StandardErrorPath: logPath,
    });
  });

  test("escapes XML in arguments and starts through sh with the environment file when there are secrets", () => {
    const definition = define(["--model", "<sonnet> & \"friends\"", "--api-key", "sk-2"]);
    const text = renderLaunchdPlist({ definition, label: "dev.agent-relay", environmentFilePath: "/Users/me/env file", logPath });
    const parsed = plist.parse(text) as { ProgramArguments: string[] };
    expect(parsed.ProgramArguments).toEqual(["/bin/sh", "-c", 'set -a && . "$0" && exec "$@"', "/Users/me/env file", binary, "serve", '--model=<sonnet> & "friends"']);
    expect(text).not.toContain("sk-2");
  });

  test("the sh wrapper really exports the file's variables to the relay it execs", () => {
    const definition = define(["--api-key", "sk-3 with space"]);
    const environmentFile = join(temp, "launchd.env");
    writeFileSync(environmentFile, `AGENT_RELAY_API_KEY='${definition.secrets.AGENT_RELAY_API_KEY}'\n`);
    const text = renderLaunchdPlist({ definition: { ...definition, programArguments: ["/bin/sh", "-c", 'printf %s "$AGENT_RELAY_API_KEY"'] }, label: "x", environmentFilePath: environmentFile, logPath });
    const argv = (plist.parse(text) as { ProgramArguments: string[] }).ProgramArguments;
    const result = Bun.spawnSync(argv, { env: { PATH: "/usr/bin:/bin" } });
    expect(result.stdout.toString()).toBe("sk-3 with space");
  });
});

describe("resolveServiceLayout", () => {
  test("Linux: a systemd user unit under XDG_CONFIG_HOME", () => {
    expect(resolveServiceLayout({ HOME: "/home/me", XDG_CONFIG_HOME: "/home/me/.cfg" }, "linux")).toMatchObject({
      manager: "systemd",
      unitPath: "/home/me/.cfg/systemd/user/agent-relay.service",
      environmentFilePath: "/home/me/.cfg/agent-relay/service.env",
    });
  });

  test("macOS: a LaunchAgent with its log under ~/Library/Logs", () => {
    expect(resolveServiceLayout({ HOME: "/Users/me" }, "darwin")).toMatchObject({
      manager: "launchd",
      unitPath: "/Users/me/Library/LaunchAgents/dev.agent-relay.plist",
      logPath: "/Users/me/Library/Logs/agent-relay/agent-relay.log",
    });
  });

  test("Windows: says what to do instead", () => {
    expect(() => resolveServiceLayout({ HOME: "C:\\Users\\me" }, "win32")).toThrow(UnsupportedPlatformError);
    expect(() => resolveServiceLayout({ HOME: "C:\\Users\\me" }, "win32")).toThrow("Task Scheduler");
  });
});
