import { defaultWaitTimeoutMs, eventually } from "./wait-for.ts";

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the process is gone; false if it is still there after `timeoutMs` (generous by default: how fast
 * a process ends is not what these tests claim, that it ends is).
 */
export async function waitForExit(pid: number, timeoutMs = defaultWaitTimeoutMs): Promise<boolean> {
  return eventually(() => !isAlive(pid), { timeoutMs });
}
