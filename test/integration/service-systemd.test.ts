/**
 * `agent-relay service` end to end against a real systemd user manager (a private one: see
 * private-systemd-user-manager.ts): install starts the relay from source and waits for /health, status reports the
 * manager's state and the relay's pid, update restarts it, Restart=on-failure brings a killed relay back, stop and
 * start work, uninstall stops it and removes the unit. Skips, saying why, where no user manager can run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, waitForExit } from "../support/processes.ts";
import { privateUserManagerUnavailable, startPrivateUserManager, type PrivateUserManager } from "../support/private-systemd-user-manager.ts";
import { projectRoot } from "../support/test-relay.ts";

let temp: string;
let manager: PrivateUserManager | undefined;
let skipReason: string | undefined = privateUserManagerUnavailable();
let port: number;
if (skipReason) console.warn(`skipped: agent-relay service against a real systemd user manager: ${skipReason}`);

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "agent-relay-service-systemd-"));
  if (skipReason) return;
  const started = await startPrivateUserManager(temp);
  if ("unavailable" in started) {
    skipReason = started.unavailable;
    console.warn(`skipped: agent-relay service against a real systemd user manager: ${skipReason}`);
    return;
  }
  manager = started;
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  port = probe.port!;
  probe.stop(true);
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  rmSync(temp, { recursive: true, force: true });
}, 30_000);

function environment(): Record<string, string> {
  return {
    HOME: manager!.home,
    XDG_RUNTIME_DIR: manager!.runtimeDirectory,
    // The claude CLI from node_modules: the service captures this PATH, and /health then reports the CLI found.
    PATH: `${join(projectRoot, "node_modules", ".bin")}:/usr/local/bin:/usr/bin:/bin`,
    USER: "root",
    AGENT_RELAY_SERVICE_WAIT: "60",
    BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0",
  };
}

async function service(...argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([...manager!.commandPrefix, process.execPath, "--no-env-file", join(projectRoot, "src", "cli.ts"), "service", ...argv], {
    env: environment(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { exitCode, stdout, stderr };
}

async function mainPid(): Promise<number> {
  const result = Bun.spawnSync([...manager!.commandPrefix, "systemctl", "--user", "show", "agent-relay.service", "--property=MainPID", "--value"], { env: environment() });
  return Number(result.stdout.toString().trim());
}

async function healthPid(): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    return ((await response.json()) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await Bun.sleep(200);
  }
  return undefined;
}

describe("agent-relay service with a real systemd user manager", () => {
  test.skipIf(skipReason !== undefined)("install, status, update, crash restart, stop, start and uninstall", async () => {
    // The manager may still fail to come up (e.g. no delegated cgroup for a second user manager): beforeAll said why.
    if (skipReason) return;
    const install = await service("install", "--port", String(port), "--warm-processes", "0", "--shell-exports", "no");
    expect(install.stderr).toBe("");
    expect(install.exitCode).toBe(0);
    expect(install.stdout).toContain(`agent-relay is running at http://127.0.0.1:${port}`);
    const firstPid = await mainPid();
    expect(firstPid).toBeGreaterThan(0);
    expect(await healthPid()).toBe(firstPid);

    const status = await service("status");
    // What status printed comes with a failure: it says why (manager state, or the relay not answering).
    expect({ exitCode: status.exitCode, output: status.stdout + status.stderr }).toMatchObject({ exitCode: 0 });
    expect(status.stdout).toContain(`systemd user manager: active (running), enabled, pid ${firstPid}`);
    expect(status.stdout).toMatch(/claude: {3}\/.+claude/);

    // A second install rewrites the unit and restarts the relay with the new options.
    const update = await service("install", "--port", String(port), "--warm-processes", "0", "--model", "sonnet", "--shell-exports", "no");
    expect(update.exitCode).toBe(0);
    const secondPid = await mainPid();
    expect(secondPid).not.toBe(firstPid);
    expect(await waitForExit(firstPid, 10_000)).toBe(true);
    expect(await healthPid()).toBe(secondPid);

    // Restart=on-failure: a relay killed from outside comes back by itself.
    process.kill(secondPid, "SIGKILL");
    const restartedPid = await waitFor(async () => {
      const pid = await healthPid();
      return pid !== undefined && pid !== secondPid ? pid : undefined;
    }, 30_000);
    expect(restartedPid).toBeGreaterThan(0);

    const stop = await service("stop");
    expect(stop.exitCode).toBe(0);
    expect(await waitForExit(restartedPid!, 15_000)).toBe(true);
    expect(await healthPid()).toBeUndefined();
    expect((await service("status")).exitCode).toBe(3);

    expect((await service("start")).exitCode).toBe(0);
    const startedPid = await waitFor(healthPid, 30_000);
    expect(startedPid).toBeGreaterThan(0);

    const uninstall = await service("uninstall");
    expect(uninstall.exitCode).toBe(0);
    expect(await waitForExit(startedPid!, 15_000)).toBe(true);
    expect(isAlive(startedPid!)).toBe(false);
    expect(existsSync(join(manager!.home, ".config", "systemd", "user", "agent-relay.service"))).toBe(false);
    const after = Bun.spawnSync([...manager!.commandPrefix, "systemctl", "--user", "show", "agent-relay.service", "--property=LoadState", "--value"], { env: environment() });
    expect(after.stdout.toString().trim()).toBe("not-found");
  }, 180_000);
});
