/**
 * /proc helpers for bench/warm.ts: the live descendants of a process, their CPU (to tell when every CLI has
 * gone quiet, and to charge a round's CPU to the benchmark's own process tree), and per-process memory.
 * Linux only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { processCpu } from "./cpu.ts";
import { processMemory } from "./rss.ts";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Direct children of a process, from every thread's `children` list (any thread may have forked). */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const tid of tasks) {
    const text = read(`/proc/${pid}/task/${tid}/children`)?.trim();
    if (text) children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

/** Every live descendant of a process, not the process itself. */
export function descendantsOf(root: number): number[] {
  const found: number[] = [];
  const stack = childrenOf(root);
  while (stack.length > 0) {
    const pid = stack.pop()!;
    found.push(pid);
    stack.push(...childrenOf(pid));
  }
  return found;
}

/**
 * CPU of a process tree, ms: utime + stime of every live member plus the children each has reaped
 * (cutime + cstime). A process that exits between two readings moves into its parent's reaped time, so the
 * difference of two readings is what the tree used in between, exited members included.
 */
export function treeCpuMs(root: number): number {
  let total = 0;
  for (const pid of [root, ...descendantsOf(root)]) {
    try {
      const cpu = processCpu(pid);
      total += cpu.self + cpu.children;
    } catch {
      // exited between the listing and the read: counted in its parent's reaped time at the next reading
    }
  }
  return total;
}

/** CPU (self + reaped children, ms) of each live descendant of root. */
export function descendantCpu(root: number): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of descendantsOf(root)) {
    try {
      const use = processCpu(pid);
      cpu.set(pid, use.self + use.children);
    } catch {
      // gone
    }
  }
  return cpu;
}

/**
 * Waits until every descendant of root has been quiet for a whole window: no process used more than one
 * clock tick (10 ms) of CPU in it, and none appeared or exited. A CLI that is still starting up uses far
 * more; an idle one about one tick per second.
 */
export async function waitForQuiet(root: number, options: { windowMs: number; timeoutMs: number }): Promise<{ waitedMs: number; quiet: boolean }> {
  const start = performance.now();
  let before = descendantCpu(root);
  while (true) {
    await Bun.sleep(options.windowMs);
    const after = descendantCpu(root);
    let quiet = after.size === before.size;
    for (const [pid, ms] of after) {
      const earlier = before.get(pid);
      if (earlier === undefined || ms - earlier > 10) quiet = false;
    }
    const waitedMs = performance.now() - start;
    if (quiet) return { waitedMs, quiet: true };
    if (waitedMs > options.timeoutMs) return { waitedMs, quiet: false };
    before = after;
  }
}

/** When a process started, in clock ticks since boot (field 22 of /proc/PID/stat). */
export function startTicks(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return Number.NaN;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[22 - 3]);
}

export interface ProcessMemory {
  pid: number;
  /** Resident set size, bytes. */
  rss: number;
  /** Peak resident set size (VmHWM), bytes. */
  hwm: number;
  /** Proportional set size: shared pages (the CLI's executable) split between the processes mapping them. */
  pss: number;
}

export async function memoryOf(pid: number): Promise<ProcessMemory | undefined> {
  const memory = await processMemory(pid);
  if (!memory) return undefined;
  const rollup = read(`/proc/${pid}/smaps_rollup`);
  const pssKb = rollup && /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
  return { pid, rss: memory.rss, hwm: memory.hwm, pss: pssKb ? Number(pssKb) * 1024 : Number.NaN };
}

/** Time since boot, ms, with the 10 ms resolution of /proc/uptime: the clock of process start times. */
/** The summed PSS and RSS of these processes; one that exits between the listing and the read is left out. */
export async function sumMemory(pids: number[]): Promise<{ pss: number; rss: number }> {
  const sizes = await Promise.all(pids.map(memoryOf));
  let pss = 0;
  let rss = 0;
  for (const size of sizes) {
    if (size && Number.isFinite(size.pss)) pss += size.pss;
    if (size && Number.isFinite(size.rss)) rss += size.rss;
  }
  return { pss, rss };
}

export function uptimeMs(): number {
  const text = read("/proc/uptime");
  return text ? Math.round(Number(text.split(" ")[0]) * 1000) : Number.NaN;
}
