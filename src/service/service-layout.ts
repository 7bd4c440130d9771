/**
 * Where `agent-relay service` puts its files on each platform, and which service manager owns them.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The service managers `agent-relay service` drives. */
export type ServiceManagerKind = "systemd" | "launchd";

export interface ServiceLayout {
  manager: ServiceManagerKind;
  home: string;
  /** systemd unit name or launchd label. */
  name: string;
  /** The unit file (systemd) or LaunchAgent plist (launchd). */
  unitPath: string;
  /** Holds the secrets given as options (the API key), readable only by the user. */
  environmentFilePath: string;
  /** What install wrote (files, directories it created, the rc file it changed), so uninstall removes exactly that. */
  manifestPath: string;
  /** launchd writes the relay's output here; systemd sends it to the journal. */
  logPath?: string;
}

export class UnsupportedPlatformError extends Error {}

const systemdUnitName = "agent-relay.service";
const launchdLabel = "dev.agent-relay";

/** The service layout for a platform, or UnsupportedPlatformError with what to do instead. */
export function resolveServiceLayout(env: Record<string, string | undefined>, platform: string = process.platform): ServiceLayout {
  const home = env.HOME || homedir();
  switch (platform) {
    case "linux": {
      const configHome = env.XDG_CONFIG_HOME || join(home, ".config");
      const ownDirectory = join(configHome, "agent-relay");
      return {
        manager: "systemd",
        home,
        name: systemdUnitName,
        unitPath: join(configHome, "systemd", "user", systemdUnitName),
        environmentFilePath: join(ownDirectory, "service.env"),
        manifestPath: join(ownDirectory, "service-install.json"),
      };
    }
    case "darwin": {
      const ownDirectory = join(home, "Library", "Application Support", "agent-relay");
      return {
        manager: "launchd",
        home,
        name: launchdLabel,
        unitPath: join(home, "Library", "LaunchAgents", `${launchdLabel}.plist`),
        environmentFilePath: join(ownDirectory, "service.env"),
        manifestPath: join(ownDirectory, "service-install.json"),
        logPath: join(home, "Library", "Logs", "agent-relay", "agent-relay.log"),
      };
    }
    case "win32":
      throw new UnsupportedPlatformError(
        "agent-relay service manages launchd (macOS) and systemd (Linux) services; Windows has neither. " +
          "Run `agent-relay serve [options]` from a Task Scheduler task triggered \"At log on\" (action: the full path of agent-relay.exe, " +
          "arguments: serve and your options), or install the Linux build inside WSL and use `agent-relay service install` there.",
      );
    default:
      throw new UnsupportedPlatformError(
        `agent-relay service supports macOS (launchd) and Linux (systemd), not ${platform}; run \`agent-relay serve [options]\` from your system's service manager instead.`,
      );
  }
}
