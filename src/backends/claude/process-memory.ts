/**
 * Memory of the CLI processes, measured the way the kernel accounts it. On Linux, PSS from
 * /proc/<pid>/smaps_rollup (shared pages split between the processes mapping them, so sums add up to the real
 * footprint) and RSS from /proc/<pid>/status, for each CLI and every process in its group (tools, MCP
 * servers). Elsewhere nothing is measured and the caller falls back to an estimate.
 */
import { readdir, readFile } from "node:fs/promises";
import { totalmem } from "node:os";

/** One CLI process group's memory, in bytes. */
export interface GroupMemory {
  pss: number;
  rss: number;
}

/** The default memory budget for CLI processes: a quarter of the machine's memory, at least 1 GiB. */
export function defaultMemoryBudget(machineBytes: number = totalmem()): number {
  return Math.max(1024 ** 3, Math.floor(machineBytes / 4));
}

/** True where /proc can be read (Linux). */
export const canMeasureMemory = process.platform === "linux";

/**
 * The memory of each process group led by one of `leaders` (the CLI is spawned with setsid, so its pid is
 * its group id). Groups whose files cannot be read (gone, another platform) are left out.
 */
export async function readProcessGroupMemory(leaders: number[]): Promise<Map<number, GroupMemory>> {
  const result = new Map<number, GroupMemory>();
  if (!canMeasureMemory || leaders.length === 0) return result;
  const wanted = new Set(leaders);
  const members = new Map<number, number[]>(leaders.map((pid) => [pid, [pid]]));
  let entries: string[] = [];
  try {
    entries = await readdir("/proc");
  } catch {
    return result;
  }
  // Children of a CLI (tool processes, MCP servers) share its process group.
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry)) return;
      const pid = Number(entry);
      if (wanted.has(pid)) return;
      const group = await readProcessGroup(pid);
      if (group !== undefined && wanted.has(group)) members.get(group)!.push(pid);
    }),
  );
  await Promise.all(
    [...members].map(async ([leader, pids]) => {
      const sizes = await Promise.all(pids.map(readProcessMemory));
      if (!sizes[0]) return;
      const total = { pss: 0, rss: 0 };
      for (const size of sizes) {
        total.pss += size?.pss ?? 0;
        total.rss += size?.rss ?? 0;
      }
      result.set(leader, total);
    }),
  );
  return result;
}

async function readProcessGroup(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

async function readProcessMemory(pid: number): Promise<GroupMemory | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const rss = kilobytes(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    // smaps_rollup exists since Linux 4.14; without it PSS is taken to be RSS.
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
    const pss = kilobytes(/^Pss:\s+(\d+)/m.exec(rollup)?.[1]) || rss;
    return { pss, rss };
  } catch {
    return undefined;
  }
}

function kilobytes(value: string | undefined): number {
  return value ? Number(value) * 1024 : 0;
}
