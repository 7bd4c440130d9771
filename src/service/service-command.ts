/**
 * `agent-relay service <action>`: install, uninstall, start, stop, restart, status, logs [-f], print.
 */
import { existsSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { installService, type ShellExportsChoice } from "./install-service.ts";
import { describeRelayHealth, fetchRelayHealth } from "./relay-health.ts";
import { renderServiceUnit } from "./render-service-unit.ts";
import { ManagerCommandError } from "./run-manager-command.ts";
import type { ServiceContext } from "./service-context.ts";
import type { ServiceState } from "./service-manager.ts";
import { buildServiceDefinition } from "./service-definition.ts";
import { readServiceManifest } from "./service-install-files.ts";
import { uninstallService } from "./uninstall-service.ts";

export const serviceHelpText = `Usage: agent-relay service <action>

Runs agent-relay as a login service: a systemd user unit on Linux, a LaunchAgent on macOS.

Actions:
  install [options] [serve options...]   Write the service with these serve options (validated as \`serve\` does),
                                         start or restart it, wait until it answers and print the exports.
      --no-start                         Only write the files; do not ask the service manager to start it.
      --shell-exports yes|no             Add (or not) ANTHROPIC_BASE_URL and OPENAI_BASE_URL to your shell's rc file
                                         (zsh, bash, fish). Without it, install asks when run on a terminal.
  print [serve options...]               Show the unit that install would write.
  uninstall                              Stop the service and remove everything install added.
  start | stop | restart                 Ask the service manager.
  status                                 The service manager's state and the relay's /health.
  logs [-f]                              Recent log lines (-f: follow).

Secrets given as options (--api-key) go into an environment file only you can read, not onto the unit's command line.
Examples:
  agent-relay service install --port 18082 --shell-exports yes
  agent-relay service install --host 0.0.0.0 --api-key "$(openssl rand -hex 24)"`;

interface InstallArguments {
  serveArguments: string[];
  start: boolean;
  shellExports: ShellExportsChoice;
}

/** Separates install's own options from the serve options. */
function parseInstallArguments(argv: string[]): InstallArguments {
  const parsed: InstallArguments = { serveArguments: [], start: true, shellExports: undefined };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === "--no-start") {
      parsed.start = false;
    } else if (argument === "--shell-exports" || argument.startsWith("--shell-exports=")) {
      const value = argument.includes("=") ? argument.slice(argument.indexOf("=") + 1) : argv[++index];
      if (value !== "yes" && value !== "no") throw new ConfigError(`--shell-exports: expected yes or no, got "${value ?? ""}"`);
      parsed.shellExports = value;
    } else {
      parsed.serveArguments.push(argument);
    }
  }
  return parsed;
}

function definitionFor(context: ServiceContext, serveArguments: string[]) {
  return buildServiceDefinition({ serveArguments, relayCommand: context.relayCommand, env: context.env, cwd: context.cwd });
}

async function showStatus(context: ServiceContext): Promise<number> {
  const { layout, manager } = context;
  const manifest = readServiceManifest(layout.manifestPath);
  if (!manifest && !existsSync(layout.unitPath)) {
    context.write(`agent-relay service: not installed (no ${layout.unitPath}); install it with: agent-relay service install\n`);
    return 4;
  }
  context.write(`unit:     ${layout.unitPath}\n`);
  const state: ServiceState = await manager.state().catch((error: unknown) => {
    if (error instanceof ManagerCommandError) return { loaded: false, running: false, summary: `unknown (${error.message})` };
    throw error;
  });
  context.write(`manager:  ${manager.description}: ${state.summary}${state.pid ? `, pid ${state.pid}` : ""}\n`);
  if (!manifest) {
    context.write("relay:    address unknown (no install record); reinstall with agent-relay service install\n");
    return state.running ? 0 : 3;
  }
  // Generous: a relay busy with its requests on a loaded machine is running, not down.
  const health = await fetchRelayHealth(manifest.url, 10_000);
  for (const line of describeRelayHealth(manifest.url, health)) context.write(`${line}\n`);
  // LSB status codes: 0 running, 3 not running (or not answering).
  return state.running && "health" in health ? 0 : 3;
}

/** Runs `agent-relay service <argv...>`; resolves with the exit status. */
export async function runServiceCommand(context: ServiceContext, argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const noArguments = () => {
    if (rest.length > 0) throw new ConfigError(`service ${action} takes no arguments, got "${rest.join(" ")}"`);
  };
  switch (action) {
    case "install": {
      const parsed = parseInstallArguments(rest);
      return installService(context, { definition: definitionFor(context, parsed.serveArguments), start: parsed.start, shellExports: parsed.shellExports });
    }
    case "print": {
      const definition = definitionFor(context, rest);
      context.write(`# ${context.layout.unitPath}\n${renderServiceUnit(context.layout, definition, context.version)}`);
      if (Object.keys(definition.secrets).length > 0) context.write(`# ${context.layout.environmentFilePath} (mode 0600) holds ${Object.keys(definition.secrets).join(", ")}\n`);
      return 0;
    }
    case "uninstall":
      noArguments();
      return uninstallService(context);
    case "start":
    case "stop":
    case "restart":
      noArguments();
      if (!existsSync(context.layout.unitPath)) throw new ConfigError(`the service is not installed (no ${context.layout.unitPath}); run agent-relay service install`);
      await context.manager[action]();
      context.write(`agent-relay service: ${action === "stop" ? "stopped" : `${action}ed`}\n`);
      return 0;
    case "status":
      noArguments();
      return showStatus(context);
    case "logs": {
      const follow = rest.some((argument) => argument === "-f" || argument === "--follow");
      const unknown = rest.filter((argument) => argument !== "-f" && argument !== "--follow");
      if (unknown.length > 0) throw new ConfigError(`service logs: unknown argument "${unknown[0]}" (only -f)`);
      return context.manager.showLogs(follow);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      context.write(`${serviceHelpText}\n`);
      return action === undefined ? 2 : 0;
    default:
      throw new ConfigError(`unknown service action "${action}" (see agent-relay service --help)`);
  }
}
