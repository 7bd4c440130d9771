/**
 * The files `service install` writes and the record of them (the manifest) that lets `service uninstall` remove
 * exactly those: the unit, the environment file, the log file, the rc-file block and the directories it created.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ServiceManagerKind } from "./service-layout.ts";

export interface ServiceManifest {
  manager: ServiceManagerKind;
  /** Where the relay answers. */
  url: string;
  /** Files install wrote (unit, environment file, log file, manifest). */
  files: string[];
  /** Directories install created, deepest last. */
  createdDirectories: string[];
  /** The rc file holding the exports block, and whether install created that file. */
  rcFile?: { path: string; created: boolean };
}

export function readServiceManifest(path: string): ServiceManifest | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ServiceManifest;
  } catch {
    return undefined;
  }
}

export function writeServiceManifest(path: string, manifest: ServiceManifest): void {
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/** mkdir -p that records each directory it had to create (outermost first). */
export function createDirectory(path: string, created: string[]): void {
  const missing: string[] = [];
  for (let current = path; !existsSync(current); current = dirname(current)) missing.unshift(current);
  for (const directory of missing) {
    mkdirSync(directory, { mode: 0o700 });
    if (!created.includes(directory)) created.push(directory);
  }
}

/** Writes a file in a directory created as needed; `private` files are readable by the user only, whatever the umask. */
export function writeInstallFile(path: string, text: string, createdDirectories: string[], options: { private?: boolean } = {}): void {
  createDirectory(dirname(path), createdDirectories);
  writeFileSync(path, text, { mode: options.private ? 0o600 : 0o644 });
  // writeFileSync's mode applies only when it creates the file; an existing file keeps its mode unless set again.
  chmodSync(path, options.private ? 0o600 : 0o644);
}

/** KEY='value' lines: systemd's EnvironmentFile= and sh's `.` both read them literally. */
export function renderEnvironmentFile(secrets: Record<string, string>): string {
  const lines = Object.entries(secrets).map(([name, value]) => `${name}='${value}'`);
  return ["# Secrets of the agent-relay service (readable only by you). Written by `agent-relay service install`.", ...lines, ""].join("\n");
}

/** Removes the recorded files and then the recorded directories that are empty now; returns what it removed. */
export function removeInstallFiles(manifest: Pick<ServiceManifest, "files" | "createdDirectories">): string[] {
  const removed: string[] = [];
  for (const file of manifest.files) {
    if (!existsSync(file)) continue;
    rmSync(file, { force: true });
    removed.push(file);
  }
  for (const directory of [...manifest.createdDirectories].reverse()) {
    try {
      rmdirSync(directory); // only when empty: whatever else appeared there since is the user's.
      removed.push(directory);
    } catch {
      // not empty or already gone
    }
  }
  return removed;
}
