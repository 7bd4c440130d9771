/**
 * The relay's files hold conversations: they are created readable by the user alone (0600, in 0700
 * folders), also when the data directory already existed with looser permissions.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import type { Logger } from "./logger.ts";

/** Creates the data directory 0700, or narrows an existing one the user owns to 0700 (with a log line). */
export function prepareDataDirectory(path: string, log: Logger): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const status = statSync(path);
  if ((status.mode & 0o077) === 0) return;
  if (typeof process.getuid === "function" && status.uid !== process.getuid()) {
    log.warn("the data directory is readable by others and not ours to change", { data_dir: path, mode: (status.mode & 0o777).toString(8) });
    return;
  }
  chmodSync(path, 0o700);
  log.info("narrowed the data directory to 0700", { data_dir: path, was: (status.mode & 0o777).toString(8) });
}

/**
 * Makes sure a file exists with mode 0600 before a library opens it, and returns its path. SQLite creates
 * its -wal and -shm files with the database file's permissions, so they follow.
 */
export function privateFile(path: string): string {
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
  return path;
}
