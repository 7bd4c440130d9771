/**
 * Keeps the CLI processes under a memory budget. It samples their memory every few seconds (and before a
 * process starts, when the last sample is old), and when the processes use more than the budget it asks the
 * backend to give up idle processes, least recently used first. Where memory cannot be measured it counts
 * each process at a fixed estimate.
 */
import type { Logger } from "../../util/logger.ts";
import { canMeasureMemory, readProcessGroupMemory, type GroupMemory } from "./process-memory.ts";

/** What a process is counted at before it has been measured (a CLI idles at about 110-130 MB PSS). */
export const estimatedProcessBytes = 150 * 1024 ** 2;

export interface MemoryGovernorOptions {
  /** Bytes the CLI processes may use together. */
  budgetBytes: number;
  /** The CLI processes now (leaders of their process groups). */
  pids(): number[];
  /** Gives up the least recently used idle process; its pid, or undefined when none is idle. */
  giveUpOne(): number | undefined;
  intervalMs?: number;
  log: Logger;
}

export class MemoryGovernor {
  private sizes = new Map<number, GroupMemory>();
  private sampledAt = 0;
  private timer: Timer | undefined;
  private sampling: Promise<void> | undefined;

  constructor(private readonly options: MemoryGovernorOptions) {}

  get budgetBytes(): number {
    return this.options.budgetBytes;
  }

  /** "pss" when measured (Linux), "estimate" elsewhere. */
  get source(): "pss" | "estimate" {
    return canMeasureMemory ? "pss" : "estimate";
  }

  /** Bytes the CLI processes use, as last measured (unmeasured processes at the estimate). */
  get inUseBytes(): number {
    let total = 0;
    for (const pid of this.options.pids()) total += this.sizes.get(pid)?.pss ?? estimatedProcessBytes;
    return total;
  }

  /** A process's last measured RSS in bytes (its whole group), if measured. */
  residentBytes(pid: number): number | undefined {
    return this.sizes.get(pid)?.rss;
  }

  /** What one more process is expected to use: the median of the measured ones, or the estimate. */
  get nextProcessBytes(): number {
    const measured = [...this.sizes.values()].map((size) => size.pss).sort((a, b) => a - b);
    return measured.length > 0 ? measured[Math.floor(measured.length / 2)] : estimatedProcessBytes;
  }

  /** Whether starting one more process would exceed the budget, when `leavingBytes` are on their way out. */
  wouldExceed(leavingBytes = 0): boolean {
    return this.inUseBytes - leavingBytes + this.nextProcessBytes > this.options.budgetBytes;
  }

  /** A process's share of the memory in use (for the processes given up to make room). */
  bytesOf(pid: number): number {
    return this.sizes.get(pid)?.pss ?? estimatedProcessBytes;
  }

  /** Starts sampling in the background. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sampleAndEnforce(), this.options.intervalMs ?? 5000);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Measures now unless a sample is younger than `maxAgeMs`. */
  async refresh(maxAgeMs = 1000): Promise<void> {
    if (Date.now() - this.sampledAt < maxAgeMs) return;
    this.sampling ??= readProcessGroupMemory(this.options.pids())
      .then((sizes) => {
        this.sizes = sizes;
        this.sampledAt = Date.now();
      })
      .catch((error) => this.options.log.debug("could not measure the CLI processes' memory", { error: String(error) }))
      .finally(() => (this.sampling = undefined));
    await this.sampling;
  }

  /** Measures, then gives up idle processes while the processes use more than the budget. */
  async sampleAndEnforce(): Promise<void> {
    await this.refresh(0);
    let excess = this.inUseBytes - this.options.budgetBytes;
    if (excess <= 0) return;
    this.options.log.info("CLI processes use more memory than the budget; giving up idle ones", { in_use_bytes: this.inUseBytes, budget_bytes: this.options.budgetBytes });
    while (excess > 0) {
      const pid = this.options.giveUpOne();
      if (pid === undefined) break;
      // The process leaves the registry only once it has exited; count it out now.
      excess -= this.bytesOf(pid);
    }
  }
}
