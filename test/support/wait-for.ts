/**
 * Waiting for a condition instead of sleeping for a guessed time: on a busy machine a CLI start-up can take
 * seconds, so a fixed sleep is either too short (a flaky test) or wastes time on every run.
 */

export interface WaitForOptions {
  /** What is awaited, for the error message ("the warm process to exit"). */
  what?: string;
  /** Generous by default: reaching it means the condition did not come true, never that the machine was slow. */
  timeoutMs?: number;
  /** Time between checks. */
  intervalMs?: number;
}

export const defaultWaitTimeoutMs = 30_000;

/**
 * Resolves with the condition's first truthy value (so it can also fetch what it waited for); rejects with an
 * error naming `what` when the condition is still false after the timeout. A condition that throws is retried.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const { what = "a condition", timeoutMs = defaultWaitTimeoutMs, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? "" : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await Bun.sleep(intervalMs);
  }
}

/** True once the condition holds, false if it still does not after the timeout (for `expect(...).toBe(true)`). */
export async function eventually(condition: () => boolean | Promise<boolean>, options: Omit<WaitForOptions, "what"> = {}): Promise<boolean> {
  return waitFor(condition, options).then(
    () => true,
    () => false,
  );
}
