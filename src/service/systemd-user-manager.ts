/**
 * The relay as a systemd user unit, driven with `systemctl --user`; logs from the user journal.
 */
import { userInfo } from "node:os";
import { runManagerCommand, runManagerCommandOrThrow } from "./run-manager-command.ts";
import type { ServiceManager, ServiceState } from "./service-manager.ts";

export interface SystemdUserManagerOptions {
  unitName: string;
  env: Record<string, string | undefined>;
}

/** `systemctl show` prints Key=Value lines. */
function parseShowOutput(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((line) => /^([A-Za-z]+)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}

export function createSystemdUserManager(options: SystemdUserManagerOptions): ServiceManager {
  const { unitName, env } = options;
  const systemctl = (...args: string[]) => runManagerCommandOrThrow(["systemctl", "--user", ...args], { env });
  return {
    description: "systemd user manager",
    async activate() {
      await systemctl("daemon-reload");
      await systemctl("enable", unitName);
      // restart starts a stopped unit and restarts a running one with the rewritten unit: one call for install and update.
      await systemctl("restart", unitName);
    },
    async start() {
      await systemctl("start", unitName);
    },
    async stop() {
      await systemctl("stop", unitName);
    },
    async restart() {
      await systemctl("restart", unitName);
    },
    async deactivate() {
      // Fails when the unit is not loaded (already removed by hand), which is what uninstall wants anyway.
      await runManagerCommand(["systemctl", "--user", "disable", "--now", unitName], { env });
    },
    async forget() {
      await runManagerCommand(["systemctl", "--user", "daemon-reload"], { env });
      await runManagerCommand(["systemctl", "--user", "reset-failed", unitName], { env });
    },
    async state(): Promise<ServiceState> {
      const result = await systemctl("show", unitName, "--property=LoadState,ActiveState,SubState,MainPID,UnitFileState");
      const show = parseShowOutput(result.stdout);
      const pid = Number(show.MainPID);
      const loaded = show.LoadState === "loaded";
      return {
        loaded,
        running: show.ActiveState === "active",
        ...(pid > 0 ? { pid } : {}),
        summary: loaded ? `${show.ActiveState} (${show.SubState}), ${show.UnitFileState || "unknown"}` : `${show.LoadState ?? "unknown"}`,
      };
    },
    async showLogs(follow) {
      const result = await runManagerCommand(["journalctl", "--user", "--unit", unitName, "--lines", "200", "--no-pager", ...(follow ? ["--follow"] : [])], {
        env,
        inherit: true,
      });
      return result.exitCode;
    },
    async hints() {
      const user = env.USER || userInfo().username;
      const linger = await runManagerCommand(["loginctl", "show-user", user, "--property=Linger", "--value"], { env }).catch(() => undefined);
      if (linger?.exitCode === 0 && linger.stdout.trim() === "yes") return [];
      return [
        `systemd stops user services when ${user}'s last session ends. On a server or a machine without a desktop session, ` +
          `keep it running with: loginctl enable-linger ${user}`,
      ];
    },
  };
}
