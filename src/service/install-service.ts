/**
 * `agent-relay service install`: writes the unit (and the secrets' environment file), optionally the shell
 * exports, records what it wrote, starts or restarts the service and waits until /health answers.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { describeRelayHealth, waitForRelayHealth } from "./relay-health.ts";
import { ManagerCommandError } from "./run-manager-command.ts";
import { renderServiceUnit } from "./render-service-unit.ts";
import type { ServiceContext } from "./service-context.ts";
import type { ServiceDefinition } from "./service-definition.ts";
import {
  createDirectory,
  readServiceManifest,
  removeInstallFiles,
  renderEnvironmentFile,
  writeInstallFile,
  writeServiceManifest,
  type ServiceManifest,
} from "./service-install-files.ts";
import { baseUrlExports, detectShell, rcFilePath, removeExportBlock, renderExportBlock, writeExportBlock } from "./shell-exports.ts";

/** --shell-exports yes|no, or undefined: ask on a terminal, otherwise leave the rc file alone. */
export type ShellExportsChoice = "yes" | "no" | undefined;

export interface InstallServiceOptions {
  definition: ServiceDefinition;
  start: boolean;
  shellExports: ShellExportsChoice;
}

/** Adds, updates or removes the exports block; returns the rc file record for the manifest. */
async function applyShellExports(
  context: ServiceContext,
  options: { url: string; choice: ShellExportsChoice; previous: ServiceManifest["rcFile"]; createdDirectories: string[] },
): Promise<ServiceManifest["rcFile"]> {
  const { url, choice, previous, createdDirectories } = options;
  const { env, layout, platform } = context;
  const shell = detectShell(env);
  const path = shell ? rcFilePath(shell, env, layout.home, platform) : undefined;
  let add = choice === "yes";
  if (choice === undefined && previous) add = true; // an earlier install added it: keep its URL current
  else if (choice === undefined && context.isTerminal && path) add = await context.ask(`Add ANTHROPIC_BASE_URL and OPENAI_BASE_URL to ${path}?`);

  if (previous && (!add || previous.path !== path) && removeExportBlock(previous.path) && previous.created && readFileSync(previous.path, "utf8") === "") {
    rmSync(previous.path);
  }
  if (!add) return undefined;
  if (!shell || !path) {
    context.writeError(`agent-relay: cannot add the exports for the shell "${env.SHELL ?? ""}" (zsh, bash and fish are supported); add the lines below yourself\n`);
    return undefined;
  }
  createDirectory(dirname(path), createdDirectories);
  const { created } = writeExportBlock(path, renderExportBlock(shell, url));
  context.write(`shell:    exports added to ${path} (open a new shell to use them)\n`);
  return { path, created: previous?.path === path ? previous.created : created };
}

function describeDefinition(context: ServiceContext, definition: ServiceDefinition, hasSecrets: boolean): string {
  const { layout } = context;
  const lines = [
    `unit:     ${layout.unitPath}`,
    `command:  ${definition.programArguments.join(" ")}`,
    ...(hasSecrets ? [`secrets:  ${Object.keys(definition.secrets).join(", ")} in ${layout.environmentFilePath} (mode 0600)`] : []),
    `PATH:     ${definition.environment.PATH}`,
    `HOME:     ${definition.environment.HOME ?? "(unset)"}`,
    definition.claudePath
      ? `claude:   ${definition.claudePath}`
      : `claude:   "${definition.config.claudeBin}" not found on that PATH; install Claude Code or pass --claude-bin /path/to/claude`,
    ...(layout.logPath ? [`logs:     ${layout.logPath}`] : [`logs:     journalctl --user -u ${layout.name} (or agent-relay service logs)`]),
  ];
  return lines.join("\n") + "\n";
}

/** Runs the install; resolves with the exit status. */
export async function installService(context: ServiceContext, options: InstallServiceOptions): Promise<number> {
  const { layout, manager, version } = context;
  const { definition } = options;
  const previous = readServiceManifest(layout.manifestPath);
  const createdDirectories = [...(previous?.createdDirectories ?? [])];
  const hasSecrets = Object.keys(definition.secrets).length > 0;
  const files = [layout.unitPath, layout.manifestPath];
  const updating = previous !== undefined || existsSync(layout.unitPath);

  if (hasSecrets) {
    writeInstallFile(layout.environmentFilePath, renderEnvironmentFile(definition.secrets), createdDirectories, { private: true });
    files.push(layout.environmentFilePath);
  } else if (previous?.files.includes(layout.environmentFilePath)) {
    removeInstallFiles({ files: [layout.environmentFilePath], createdDirectories: [] });
  }
  writeInstallFile(layout.unitPath, renderServiceUnit(layout, definition, version), createdDirectories);
  if (layout.logPath) {
    createDirectory(dirname(layout.logPath), createdDirectories);
    files.push(layout.logPath);
  }
  context.write(`${updating ? "updated" : "installed"} the agent-relay service (${manager.description})\n`);
  context.write(describeDefinition(context, definition, hasSecrets));
  const rcFile = await applyShellExports(context, { url: definition.url, choice: options.shellExports, previous: previous?.rcFile, createdDirectories });
  createDirectory(dirname(layout.manifestPath), createdDirectories);
  writeServiceManifest(layout.manifestPath, { manager: layout.manager, url: definition.url, files, createdDirectories, ...(rcFile ? { rcFile } : {}) });
  const exportLines = Object.entries(baseUrlExports(definition.url)).map(([name, value]) => `  export ${name}=${value}`);

  if (!options.start) {
    context.write(
      updating
        ? "not restarted (--no-start); a running service keeps its old settings until: agent-relay service restart\n"
        : "not started (--no-start); start it with: agent-relay service start\n",
    );
    context.write(`then point clients at it:\n${exportLines.join("\n")}\n`);
    return 0;
  }
  try {
    await manager.activate();
  } catch (error) {
    if (!(error instanceof ManagerCommandError)) throw error;
    context.writeError(
      `agent-relay: the files are written, but ${manager.description} did not start the service: ${error.message}\n` +
        "On a machine without a user service manager (a container, WSL without systemd), run `agent-relay serve` yourself, " +
        "or install with --no-start and start it once the manager runs.\n",
    );
    return 1;
  }
  // The answer must come from the service's own process: another relay already on the port would answer too.
  let servicePid: number | undefined;
  const health = await waitForRelayHealth(definition.url, {
    timeoutMs: context.healthTimeoutMs,
    accept: async (answer) => {
      servicePid = (await manager.state().catch(() => undefined))?.pid;
      return servicePid === undefined || answer.pid === servicePid;
    },
  });
  for (const line of describeRelayHealth(definition.url, health)) context.write(`${line}\n`);
  for (const hint of await manager.hints()) context.write(`note:     ${hint}\n`);
  if ("error" in health || !health.accepted) {
    const state = await manager.state().catch(() => undefined);
    const seconds = Math.round(context.healthTimeoutMs / 1000);
    const problem =
      "error" in health
        ? `the service did not answer on ${definition.url}/health within ${seconds} s`
        : `${definition.url} is answered by pid ${health.health.pid}, not by the service (pid ${servicePid}): is another agent-relay running on that port?`;
    context.writeError(`agent-relay: ${problem}${state ? ` (${manager.description}: ${state.summary})` : ""}; see agent-relay service logs\n`);
    return 1;
  }
  context.write(`\nagent-relay is running at ${definition.url}. Point clients at it:\n${exportLines.join("\n")}\n`);
  return 0;
}
