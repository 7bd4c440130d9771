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

export interface TreeMemory {
  /** Sum of the resident set sizes: shared pages (libc, the shell binary) count once per process. */
  bytes: number;
  /** Sum of the proportional set sizes: shared pages split between the processes sharing them. */
  pssBytes: number;
  /** The root and all its descendants. */
  processes: number;
  /** Direct children of the root: for the relay, the live CLI processes (each the leader of its group). */
  children: number;
}

async function pss(pid: number): Promise<number> {
  const rollup = await readText(`/proc/${pid}/smaps_rollup`);
  const kb = rollup && /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** Memory of pid and all its descendants. */
export async function treeRss(rootPid: number): Promise<TreeMemory> {
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
  const members: number[] = [];
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (!resident.has(pid)) continue;
    bytes += resident.get(pid)!;
    members.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  const pssBytes = (await Promise.all(members.map(pss))).reduce((sum, value) => sum + value, 0);
  return { bytes, pssBytes, processes: members.length, children: (children.get(rootPid) ?? []).filter((pid) => resident.has(pid)).length };
}

/** Samples the tree RSS of a process every intervalMs while enabled; keeps the peaks. */
export class TreeRssSampler {
  peakTreeBytes = 0;
  peakTreePssBytes = 0;
  peakTreeProcesses = 0;
  peakChildren = 0;
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
      if (tree.pssBytes > this.peakTreePssBytes) this.peakTreePssBytes = tree.pssBytes;
      if (tree.children > this.peakChildren) this.peakChildren = tree.children;
      if (own && own.rss > this.peakRssBytes) this.peakRssBytes = own.rss;
    } finally {
      this.busy = false;
    }
  }
}
