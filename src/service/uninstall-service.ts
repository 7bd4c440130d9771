/**
 * `agent-relay service uninstall`: stops the service, makes the manager forget it, and removes exactly what
 * install added (the files and directories in its manifest, the rc-file block). The relay's data is kept.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { ManagerCommandError } from "./run-manager-command.ts";
import type { ServiceContext } from "./service-context.ts";
import { readServiceManifest, removeInstallFiles } from "./service-install-files.ts";
import { allRcFilePaths, removeExportBlock } from "./shell-exports.ts";

/** Runs the uninstall; resolves with the exit status. */
export async function uninstallService(context: ServiceContext): Promise<number> {
  const { layout, manager, env, platform } = context;
  const manifest = readServiceManifest(layout.manifestPath);
  if (!manifest && !existsSync(layout.unitPath)) {
    context.write(`agent-relay service is not installed (no ${layout.unitPath})\n`);
    return 0;
  }
  try {
    await manager.deactivate();
  } catch (error) {
    if (!(error instanceof ManagerCommandError)) throw error;
    context.writeError(`agent-relay: warning: ${error.message}; removing the files anyway\n`);
  }
  const removed: string[] = [];
  // The block is ours wherever it is (the manifest may predate a change of shell), so every rc file is checked.
  const rcFiles = new Set([...(manifest?.rcFile ? [manifest.rcFile.path] : []), ...allRcFilePaths(env, layout.home, platform)]);
  for (const path of rcFiles) {
    if (!removeExportBlock(path)) continue;
    removed.push(`the exports block in ${path}`);
    if (manifest?.rcFile?.path === path && manifest.rcFile.created && readFileSync(path, "utf8") === "") {
      rmSync(path);
      removed.push(path);
    }
  }
  // Without a manifest (removed by hand), only the files install always writes are known to be ours.
  const files = manifest?.files ?? [layout.unitPath, layout.environmentFilePath, ...(layout.logPath ? [layout.logPath] : [])];
  removed.push(...removeInstallFiles({ files: [...files, layout.manifestPath], createdDirectories: manifest?.createdDirectories ?? [] }));
  try {
    await manager.forget();
  } catch (error) {
    if (!(error instanceof ManagerCommandError)) throw error;
  }
  context.write(`uninstalled the agent-relay service (${manager.description})\n`);
  for (const item of removed) context.write(`removed:  ${item}\n`);
  context.write("kept:     the relay's data directory (stored responses); delete it yourself if you no longer need it\n");
  return 0;
}
