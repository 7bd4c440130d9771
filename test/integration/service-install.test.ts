/**
 * `agent-relay service install / update / status / stop / uninstall` against a temporary HOME, with stand-ins for
 * systemctl and launchctl on PATH (this machine need not have a user service manager; service-systemd.test.ts
 * drives a real one). What is checked is what a user would see: the files in HOME, the rc file before and after,
 * the manager calls, the messages and exit statuses.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runServiceCommand } from "../../src/service/service-command.ts";
import { createServiceManager, type ServiceContext } from "../../src/service/service-context.ts";
import { resolveServiceLayout } from "../../src/service/service-layout.ts";
import { createFakeServiceManagers, type FakeServiceManagers } from "../support/fake-service-managers.ts";
import { projectRoot } from "../support/test-relay.ts";

let temp: string;
let home: string;
let managers: FakeServiceManagers & { env: Record<string, string> };
let health: ReturnType<typeof Bun.serve>;
let healthPort: number;
const binary = "/opt/agent-relay/bin/agent-relay";

beforeAll(() => {
  // Answers GET /health the way the relay does, on a port install is then told to use.
  health = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request) =>
      new URL(request.url).pathname === "/health"
        ? Response.json({ status: "ok", version: "9.9.9", pid: 4242, uptime_seconds: 75, providers: { claude: { type: "claude-cli", ok: true, path: "/usr/local/bin/claude", version: "2.1.197" } } })
        : new Response("not found", { status: 404 }),
  });
  healthPort = health.port!;
});

afterAll(() => health.stop(true));

beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), "agent-relay-service-install-"));
  home = join(temp, "home");
  mkdirSync(home);
  managers = createFakeServiceManagers(join(temp, "managers"));
  mkdirSync(join(temp, "claude"));
  writeFileSync(join(temp, "claude", "claude"), "#!/bin/sh\n");
  chmodSync(join(temp, "claude", "claude"), 0o755);
});

afterEach(() => rmSync(temp, { recursive: true, force: true }));

interface Run {
  exitCode: number;
  output: string;
  errors: string;
}

function context(options: { platform: "linux" | "darwin"; shell?: string; terminalAnswer?: boolean; env?: Record<string, string> }): { context: ServiceContext; output: string[]; errors: string[] } {
  const env: Record<string, string> = {
    HOME: home,
    PATH: `${managers.binDirectory}:${join(temp, "claude")}:/usr/bin:/bin`,
    USER: "tester",
    ...managers.env,
    ...(options.shell ? { SHELL: options.shell } : {}),
    ...options.env,
  };
  const layout = resolveServiceLayout(env, options.platform);
  const output: string[] = [];
  const errors: string[] = [];
  return {
    output,
    errors,
    context: {
      env,
      platform: options.platform,
      cwd: temp,
      layout,
      manager: createServiceManager(layout, env, 501),
      relayCommand: [binary],
      version: "9.9.9",
      write: (text) => output.push(text),
      writeError: (text) => errors.push(text),
      isTerminal: options.terminalAnswer !== undefined,
      ask: async () => options.terminalAnswer ?? false,
      healthTimeoutMs: 5000,
    },
  };
}

async function service(options: Parameters<typeof context>[0], argv: string[]): Promise<Run> {
  const built = context(options);
  const exitCode = await runServiceCommand(built.context, argv);
  return { exitCode, output: built.output.join(""), errors: built.errors.join("") };
}

/** Every file and directory under HOME with its content, to compare HOME before install and after uninstall. */
function snapshot(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (statSync(path).isDirectory()) {
        entries[`${relative(root, path)}/`] = "";
        walk(path);
      } else entries[relative(root, path)] = readFileSync(path, "utf8");
    }
  };
  walk(root);
  return entries;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("systemd user unit (Linux layout)", () => {
  const linux = { platform: "linux" as const, shell: "/bin/zsh" };
  const unitPath = () => join(home, ".config", "systemd", "user", "agent-relay.service");
  const zshrc = () => join(home, ".zshrc");

  test("install --no-start writes the unit, the 0600 secrets file and the exports block, and calls no manager", async () => {
    writeFileSync(zshrc(), "alias ll='ls -l'\n");
    const run = await service(linux, ["install", "--no-start", "--shell-exports", "yes", "--port", "18555", "--host", "0.0.0.0", "--api-key", "sk-relay-1"]);
    expect(run).toMatchObject({ exitCode: 0, errors: "" });

    const unit = readFileSync(unitPath(), "utf8");
    expect(unit).toContain(`ExecStart="${binary}" "serve" "--port=18555" "--host=0.0.0.0"\n`);
    expect(unit).not.toContain("sk-relay-1");
    const environmentFile = join(home, ".config", "agent-relay", "service.env");
    expect(unit).toContain(`EnvironmentFile=${environmentFile}\n`);
    expect(readFileSync(environmentFile, "utf8")).toContain("AGENT_RELAY_API_KEY='sk-relay-1'\n");
    expect(modeOf(environmentFile)).toBe(0o600);

    expect(readFileSync(zshrc(), "utf8")).toBe(
      "alias ll='ls -l'\n\n# >>> agent-relay service >>>\n# Added by `agent-relay service install`; `agent-relay service uninstall` removes it.\n" +
        "export ANTHROPIC_BASE_URL='http://127.0.0.1:18555'\nexport OPENAI_BASE_URL='http://127.0.0.1:18555/v1'\n# <<< agent-relay service <<<\n",
    );
    expect(managers.calls()).toEqual([]);
    expect(run.output).toContain(`PATH:     ${managers.binDirectory}:${join(temp, "claude")}:/usr/bin:/bin`);
    expect(run.output).toContain(`HOME:     ${home}`);
    expect(run.output).toContain(`claude:   ${join(temp, "claude", "claude")}`);
    expect(run.output).toContain("not started (--no-start)");
    expect(run.output).toContain("export OPENAI_BASE_URL=http://127.0.0.1:18555/v1");
  });

  test("install, update and uninstall: the manager is driven, /health awaited, and HOME ends as it began", async () => {
    writeFileSync(zshrc(), "export EDITOR=vim\n");
    const before = snapshot(home);

    const first = await service(linux, ["install", "--shell-exports", "yes", "--port", String(healthPort)]);
    expect(first.errors).toBe("");
    expect(first.exitCode).toBe(0);
    // Then `show` for the service's pid, which /health must report (another relay on the port would not).
    expect(managers.calls()).toEqual([
      "systemctl --user daemon-reload",
      "systemctl --user enable agent-relay.service",
      "systemctl --user restart agent-relay.service",
      "systemctl --user show agent-relay.service --property=LoadState,ActiveState,SubState,MainPID,UnitFileState",
      "loginctl show-user tester --property=Linger --value",
    ]);
    expect(first.output).toContain(`relay:    http://127.0.0.1:${healthPort} ok, version 9.9.9, pid 4242, up 1m 15s`);
    expect(first.output).toContain("claude:   /usr/local/bin/claude (2.1.197)");
    expect(first.output).toContain("loginctl enable-linger tester");
    expect(first.output).toContain(`export ANTHROPIC_BASE_URL=http://127.0.0.1:${healthPort}\n`);
    expect(first.output).toContain(`export OPENAI_BASE_URL=http://127.0.0.1:${healthPort}/v1\n`);
    expect(existsSync(join(home, ".config", "agent-relay", "service.env"))).toBe(false);

    // Second install: same files updated in place, the block still once, with the new options.
    managers.clearCalls();
    const second = await service(linux, ["install", "--port", String(healthPort), "--model", "sonnet"]);
    expect(second.exitCode).toBe(0);
    expect(second.output).toStartWith("updated the agent-relay service");
    expect(readFileSync(unitPath(), "utf8")).toContain(`"--model=sonnet"`);
    expect(managers.calls().slice(0, 3)).toEqual(["systemctl --user daemon-reload", "systemctl --user enable agent-relay.service", "systemctl --user restart agent-relay.service"]);
    expect(readFileSync(zshrc(), "utf8").split("# >>> agent-relay service >>>").length).toBe(2);

    const status = await service(linux, ["status"]);
    expect(status.exitCode).toBe(0);
    expect(status.output).toContain("manager:  systemd user manager: active (running), enabled, pid 4242");
    expect(status.output).toContain("version 9.9.9");

    managers.clearCalls();
    const stop = await service(linux, ["stop"]);
    expect(stop.exitCode).toBe(0);
    expect(managers.calls()).toEqual(["systemctl --user stop agent-relay.service"]);
    const stopped = await service(linux, ["status"]);
    expect(stopped.exitCode).toBe(3);
    expect(stopped.output).toContain("inactive (dead)");

    managers.clearCalls();
    const removed = await service(linux, ["uninstall"]);
    expect(removed.exitCode).toBe(0);
    expect(managers.calls()).toEqual([
      "systemctl --user disable --now agent-relay.service",
      "systemctl --user daemon-reload",
      "systemctl --user reset-failed agent-relay.service",
    ]);
    expect(removed.output).toContain(`removed:  the exports block in ${zshrc()}`);
    expect(snapshot(home)).toEqual(before);

    const notInstalled = await service(linux, ["status"]);
    expect(notInstalled.exitCode).toBe(4);
    expect(notInstalled.output).toContain("not installed");
  });

  test("without a terminal and without --shell-exports the rc file is left alone; on a terminal the answer decides", async () => {
    writeFileSync(zshrc(), "# mine\n");
    expect((await service(linux, ["install", "--no-start"])).exitCode).toBe(0);
    expect(readFileSync(zshrc(), "utf8")).toBe("# mine\n");
    expect((await service({ ...linux, terminalAnswer: false }, ["install", "--no-start"])).exitCode).toBe(0);
    expect(readFileSync(zshrc(), "utf8")).toBe("# mine\n");
    expect((await service({ ...linux, terminalAnswer: true }, ["install", "--no-start"])).exitCode).toBe(0);
    expect(readFileSync(zshrc(), "utf8")).toContain("export ANTHROPIC_BASE_URL='http://127.0.0.1:18082'");
    // --shell-exports no on an update takes the block back out.
    expect((await service(linux, ["install", "--no-start", "--shell-exports", "no"])).exitCode).toBe(0);
    expect(readFileSync(zshrc(), "utf8")).toBe("# mine\n");
  });

  test("fish: the block goes into a config.fish it creates, and uninstall removes file and directories again", async () => {
    const before = snapshot(home);
    const fish = { platform: "linux" as const, shell: "/usr/bin/fish" };
    expect((await service(fish, ["install", "--no-start", "--shell-exports=yes"])).exitCode).toBe(0);
    expect(readFileSync(join(home, ".config", "fish", "config.fish"), "utf8")).toContain("set -gx OPENAI_BASE_URL 'http://127.0.0.1:18082/v1'\n");
    expect((await service(fish, ["uninstall"])).exitCode).toBe(0);
    expect(snapshot(home)).toEqual(before);
  });

  test("a service manager that cannot start it: the files stay, the message says what to do, exit 1", async () => {
    writeFileSync(join(managers.binDirectory, "systemctl"), '#!/bin/sh\necho "Failed to connect to bus: No medium found" >&2\nexit 1\n');
    const run = await service(linux, ["install", "--port", String(healthPort)]);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toContain("did not start the service: `systemctl --user daemon-reload` failed (exit 1): Failed to connect to bus: No medium found");
    expect(run.errors).toContain("--no-start");
    expect(existsSync(unitPath())).toBe(true);
  });

  test("another process answering on the port is not taken for the service", async () => {
    const run = await service({ ...linux, env: { FAKE_MAIN_PID: "999999" } }, ["install", "--port", String(healthPort)]);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toContain(`is answered by pid 4242, not by the service (pid 999999): is another agent-relay running on that port?`);
  }, 15_000);

  test("logs shows the unit's journal, and -f follows it", async () => {
    expect((await service(linux, ["install", "--no-start"])).exitCode).toBe(0);
    managers.clearCalls();
    expect((await service(linux, ["logs"])).exitCode).toBe(0);
    expect((await service(linux, ["logs", "-f"])).exitCode).toBe(0);
    expect(managers.calls()).toEqual([
      "journalctl --user --unit agent-relay.service --lines 200 --no-pager",
      "journalctl --user --unit agent-relay.service --lines 200 --no-pager --follow",
    ]);
    const built = context(linux);
    await expect(runServiceCommand(built.context, ["logs", "--since", "today"])).rejects.toThrow('unknown argument "--since"');
  });

  test("bad serve options are refused before anything is written", async () => {
    const built = context(linux);
    await expect(runServiceCommand(built.context, ["install", "--port", "0"])).rejects.toThrow("a service needs a fixed one");
    await expect(runServiceCommand(built.context, ["install", "--shell-exports", "maybe"])).rejects.toThrow('--shell-exports: expected yes or no, got "maybe"');
    expect(readdirSync(home)).toEqual([]);
  });

  test("print shows the unit without writing it", async () => {
    const run = await service(linux, ["print", "--port", "18600", "--api-key", "sk-print"]);
    expect(run.output).toContain(`ExecStart="${binary}" "serve" "--port=18600"`);
    expect(run.output).toContain("holds AGENT_RELAY_API_KEY");
    expect(run.output).not.toContain("sk-print");
    expect(readdirSync(home)).toEqual([]);
  });
});

describe("LaunchAgent (macOS layout)", () => {
  const mac = { platform: "darwin" as const, shell: "/bin/bash" };
  const plistPath = () => join(home, "Library", "LaunchAgents", "dev.agent-relay.plist");

  test("install with a key, update, stop and uninstall drive launchctl in the gui domain; HOME ends as it began", async () => {
    writeFileSync(join(home, ".bash_profile"), "source ~/.bashrc\n");
    const before = snapshot(home);
    const first = await service(mac, ["install", "--shell-exports", "yes", "--port", String(healthPort), "--api-key", "sk-mac"]);
    expect(first.errors).toBe("");
    expect(first.exitCode).toBe(0);
    expect(managers.calls()).toEqual([
      "launchctl print gui/501/dev.agent-relay",
      "launchctl enable gui/501/dev.agent-relay",
      `launchctl bootstrap gui/501 ${plistPath()}`,
      "launchctl print gui/501/dev.agent-relay", // the service's pid, to match /health's
    ]);
    const plistText = readFileSync(plistPath(), "utf8");
    expect(plistText).toContain("<string>/bin/sh</string>");
    expect(plistText).not.toContain("sk-mac");
    const environmentFile = join(home, "Library", "Application Support", "agent-relay", "service.env");
    expect(modeOf(environmentFile)).toBe(0o600);
    expect(existsSync(join(home, "Library", "Logs", "agent-relay"))).toBe(true);
    expect(readFileSync(join(home, ".bash_profile"), "utf8")).toContain(`export ANTHROPIC_BASE_URL='http://127.0.0.1:${healthPort}'`);

    managers.clearCalls();
    expect((await service(mac, ["install", "--port", String(healthPort), "--api-key", "sk-mac-2"])).exitCode).toBe(0);
    // launchd reads a plist only on bootstrap: the update boots the old one out first.
    expect(managers.calls()).toEqual([
      "launchctl print gui/501/dev.agent-relay",
      "launchctl bootout gui/501/dev.agent-relay",
      "launchctl enable gui/501/dev.agent-relay",
      `launchctl bootstrap gui/501 ${plistPath()}`,
      "launchctl print gui/501/dev.agent-relay",
    ]);
    expect(readFileSync(environmentFile, "utf8")).toContain("'sk-mac-2'");

    const status = await service(mac, ["status"]);
    expect(status.output).toContain("manager:  launchd (gui/501): running, pid 4242");
    expect(status.exitCode).toBe(0);

    managers.clearCalls();
    expect((await service(mac, ["stop"])).exitCode).toBe(0);
    expect(managers.calls()).toEqual(["launchctl print gui/501/dev.agent-relay", "launchctl kill SIGTERM gui/501/dev.agent-relay"]);

    managers.clearCalls();
    expect((await service(mac, ["uninstall"])).exitCode).toBe(0);
    expect(managers.calls()).toEqual(["launchctl print gui/501/dev.agent-relay", "launchctl bootout gui/501/dev.agent-relay"]);
    expect(snapshot(home)).toEqual(before);
  });
});

describe("the agent-relay service command line", () => {
  const cli = (argv: string[], env: Record<string, string> = {}) => {
    const result = Bun.spawnSync([process.execPath, "--no-env-file", join(projectRoot, "src", "cli.ts"), "service", ...argv], {
      // Bun keeps its transpiler cache under HOME unless told not to; HOME must hold only what the service writes.
      env: { HOME: home, PATH: `${managers.binDirectory}:/usr/bin:/bin`, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0", ...managers.env, ...env },
      stdin: "ignore",
    });
    return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  };

  test.skipIf(process.platform !== "linux")("serve's option errors, with exit status 2, and nothing written", () => {
    expect(cli(["install", "--host", "0.0.0.0"])).toMatchObject({ exitCode: 2, stderr: expect.stringContaining("agent-relay: refusing to listen on 0.0.0.0 without a key") });
    expect(cli(["install", "--max-concurrent", "many"])).toMatchObject({ exitCode: 2, stderr: 'agent-relay: --max-concurrent: expected a whole number, got "many"\n' });
    expect(cli(["frobnicate"])).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('unknown service action "frobnicate"') });
    expect(readdirSync(home)).toEqual([]);
  });

  test.skipIf(process.platform !== "linux")("install --no-start, status and uninstall through the real entry point", () => {
    const install = cli(["install", "--no-start", "--port", "18777"]);
    expect(install.exitCode).toBe(0);
    // From source the service runs bun with src/cli.ts; a compiled binary runs itself.
    expect(readFileSync(join(home, ".config", "systemd", "user", "agent-relay.service"), "utf8")).toContain(
      `ExecStart="${process.execPath}" "--no-env-file" "${join(projectRoot, "src", "cli.ts")}" "serve" "--port=18777"`,
    );
    const status = cli(["status"]);
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toContain("relay:    http://127.0.0.1:18777 not reachable");
    expect(cli(["uninstall"]).exitCode).toBe(0);
    expect(readdirSync(home)).toEqual([]);
  });

  test("--help lists the actions", () => {
    const help = cli(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("install [options] [serve options...]");
  });
});
