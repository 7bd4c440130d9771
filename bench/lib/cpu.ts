/**
 * CPU accounting from /proc, to see where the CPU of a phase went on a small, possibly shared machine:
 * the benchmark process (the HTTP client, or the bare spawner), the relay process, the CLI processes each of
 * them reaped, and everything else on the machine. Linux clock ticks (normally 100 per second).
 */
import { readdirSync, readFileSync } from "node:fs";

const tickMs = 1000 / 100;

export interface ProcessCpu {
  /** utime + stime of the process itself, ms. */
  self: number;
  /** cutime + cstime: the processes it has reaped (and theirs), ms. */
  children: number;
}

export function processCpu(pid: number | "self"): ProcessCpu {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14.
  const at = (field: number) => Number(fields[field - 3]);
  return { self: (at(14) + at(15)) * tickMs, children: (at(16) + at(17)) * tickMs };
}

/** utime + stime of a process's main thread only (its JS thread in Bun), ms: what its other threads took is left out. */
export function mainThreadCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) * tickMs;
}

/**
 * utime + stime of each thread of a process, ms, by thread name ("main" for the main thread; threads of one
 * name summed). Threads that ended are missing: their CPU is only in the process total (processCpu).
 */
export function threadCpu(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // ended between the listing and the read
    }
    const name = tid === String(pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    byName[name] = (byName[name] ?? 0) + (Number(fields[14 - 3]) + Number(fields[15 - 3])) * tickMs;
  }
  return byName;
}

export interface SystemCpu {
  /** Non-idle CPU time of all cores, ms. */
  busy: number;
  /** Time the hypervisor gave our vCPUs to someone else, ms. */
  steal: number;
}

export function systemCpu(): SystemCpu {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) * tickMs, steal: steal * tickMs };
}

export interface CpuSnapshot {
  bench: ProcessCpu;
  relay: ProcessCpu;
  system: SystemCpu;
}

export function cpuSnapshot(relayPid: number): CpuSnapshot {
  return { bench: processCpu("self"), relay: processCpu(relayPid), system: systemCpu() };
}

export interface CpuUse {
  /** The benchmark process itself: HTTP client, or the bare spawner's own work. */
  benchMs: number;
  /** CLI processes spawned by the benchmark (bare mode). */
  benchChildrenMs: number;
  relayMs: number;
  /** CLI processes spawned by the relay. */
  relayChildrenMs: number;
  /** Busy CPU of everything else on the machine (other users' work). */
  otherMs: number;
  stealMs: number;
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const benchMs = after.bench.self - before.bench.self;
  const benchChildrenMs = after.bench.children - before.bench.children;
  const relayMs = after.relay.self - before.relay.self;
  const relayChildrenMs = after.relay.children - before.relay.children;
  const busy = after.system.busy - before.system.busy;
  return {
    benchMs,
    benchChildrenMs,
    relayMs,
    relayChildrenMs,
    otherMs: Math.max(0, busy - benchMs - benchChildrenMs - relayMs - relayChildrenMs),
    stealMs: after.system.steal - before.system.steal,
  };
}
