/**
 * Memory of the relay process: its kernel-kept peak (VmHWM, exact) and, sampled periodically, the RSS of the
 * relay plus every descendant (the CLI processes it spawns and their children). Linux /proc only.
 */
import { readdir, readFile } from "node:fs/promises";

const pageBytes = 4096;

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** VmHWM and VmRSS of one process, in bytes. */
export async function processMemory(pid: number): Promise<{ hwm: number; rss: number } | undefined> {
  const status = await readText(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
}

/** RSS in bytes of pid and all its descendants, and how many processes that was. */
export async function treeRss(rootPid: number): Promise<{ bytes: number; processes: number }> {
  const entries = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const parents = new Map<number, number>();
  const resident = new Map<number, number>();
  await Promise.all(
    entries.map(async (name) => {
      const pid = Number(name);
      const [stat, statm] = await Promise.all([readText(`/proc/${pid}/stat`), readText(`/proc/${pid}/statm`)]);
      if (!stat || !statm) return;
      // The command name may contain spaces and parentheses: the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(pid, Number(fields[1]));
      resident.set(pid, Number(statm.split(" ")[1]) * pageBytes);
    }),
  );
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parents) {
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(pid);
  }
  let bytes = 0;
  let processes = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (!resident.has(pid)) continue;
    bytes += resident.get(pid)!;
    processes++;
    stack.push(...(children.get(pid) ?? []));
  }
  return { bytes, processes };
}

/** Samples the tree RSS of a process every intervalMs while enabled; keeps the peaks. */
export class TreeRssSampler {
  peakTreeBytes = 0;
  peakTreeProcesses = 0;
  peakRssBytes = 0;
  samples = 0;
  private timer: Timer | undefined;
  private busy = false;

  constructor(private readonly pid: number, private readonly intervalMs: number) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const [tree, own] = await Promise.all([treeRss(this.pid), processMemory(this.pid)]);
      this.samples++;
      if (tree.bytes > this.peakTreeBytes) this.peakTreeBytes = tree.bytes;
      if (tree.processes > this.peakTreeProcesses) this.peakTreeProcesses = tree.processes;
      if (own && own.rss > this.peakRssBytes) this.peakRssBytes = own.rss;
    } finally {
      this.busy = false;
    }
  }
}
