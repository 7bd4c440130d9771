/**
 * The relay as a LaunchAgent in the user's GUI domain, driven with `launchctl bootstrap/bootout/kickstart`.
 */
import { runManagerCommand, runManagerCommandOrThrow } from "./run-manager-command.ts";
import type { ServiceManager, ServiceState } from "./service-manager.ts";

export interface LaunchdAgentManagerOptions {
  label: string;
  plistPath: string;
  logPath: string;
  uid: number;
  env: Record<string, string | undefined>;
}

export function createLaunchdAgentManager(options: LaunchdAgentManagerOptions): ServiceManager {
  const { label, plistPath, logPath, uid, env } = options;
  const domain = `gui/${uid}`;
  const target = `${domain}/${label}`;
  const launchctl = (...args: string[]) => runManagerCommandOrThrow(["launchctl", ...args], { env });
  const isLoaded = async () => (await runManagerCommand(["launchctl", "print", target], { env })).exitCode === 0;
  const bootstrap = async () => {
    // A service disabled earlier (launchctl disable) would refuse to bootstrap.
    await launchctl("enable", target);
    await launchctl("bootstrap", domain, plistPath);
  };
  return {
    description: `launchd (${domain})`,
    async activate() {
      // launchd reads a plist only when bootstrapping it: an updated plist needs bootout first.
      if (await isLoaded()) await launchctl("bootout", target);
      await bootstrap(); // RunAtLoad starts it.
    },
    async start() {
      if (!(await isLoaded())) await bootstrap();
      else await launchctl("kickstart", target);
    },
    async stop() {
      // SIGTERM: the relay exits 0 after its grace period, and KeepAlive { SuccessfulExit: false } leaves it stopped.
      if (await isLoaded()) await launchctl("kill", "SIGTERM", target);
    },
    async restart() {
      if (!(await isLoaded())) await bootstrap();
      else await launchctl("kickstart", "-k", target);
    },
    async deactivate() {
      if (await isLoaded()) await launchctl("bootout", target);
    },
    async forget() {},
    async state(): Promise<ServiceState> {
      const result = await runManagerCommand(["launchctl", "print", target], { env });
      // 113 is "Could not find service"; any failure means launchd does not have it.
      if (result.exitCode !== 0) return { loaded: false, running: false, summary: "not loaded" };
      const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1]?.trim() ?? "unknown";
      const pid = Number(/^\s*pid = (\d+)$/m.exec(result.stdout)?.[1]);
      const lastExit = /^\s*last exit code = (.+)$/m.exec(result.stdout)?.[1]?.trim();
      return {
        loaded: true,
        running: state === "running",
        ...(pid > 0 ? { pid } : {}),
        summary: `${state}${lastExit && state !== "running" ? `, last exit code ${lastExit}` : ""}`,
      };
    },
    async showLogs(follow) {
      const result = await runManagerCommand(["tail", "-n", "200", ...(follow ? ["-F"] : []), logPath], { env, inherit: true });
      return result.exitCode;
    },
    async hints() {
      return [];
    },
  };
}
