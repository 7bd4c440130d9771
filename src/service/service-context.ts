/**
 * What every `agent-relay service` action works with: the user's environment, where the files go, the service
 * manager, and the terminal. Built once by the command; tests build it with a temporary HOME.
 */
import { createLaunchdAgentManager } from "./launchd-agent-manager.ts";
import type { ServiceLayout } from "./service-layout.ts";
import type { ServiceManager } from "./service-manager.ts";
import { createSystemdUserManager } from "./systemd-user-manager.ts";

export interface ServiceContext {
  env: Record<string, string | undefined>;
  platform: string;
  /** Relative paths in serve options are resolved against it. */
  cwd: string;
  layout: ServiceLayout;
  manager: ServiceManager;
  /** How the service starts the relay (the absolute path of this binary, or bun + src/cli.ts from source). */
  relayCommand: string[];
  version: string;
  write(text: string): void;
  writeError(text: string): void;
  /** A person is at the terminal: install may ask before touching the rc file. */
  isTerminal: boolean;
  /** Asks a yes/no question on the terminal. */
  ask(question: string): Promise<boolean>;
  /** How long install waits for /health. */
  healthTimeoutMs: number;
}

/** The manager for a layout. */
export function createServiceManager(layout: ServiceLayout, env: Record<string, string | undefined>, uid: number): ServiceManager {
  switch (layout.manager) {
    case "systemd":
      return createSystemdUserManager({ unitName: layout.name, env });
    case "launchd":
      return createLaunchdAgentManager({ label: layout.name, plistPath: layout.unitPath, logPath: layout.logPath!, uid, env });
    default: {
      const unreachable: never = layout.manager;
      throw new Error(`unknown service manager ${unreachable}`);
    }
  }
}
