// Resident memory and CPU time of a process, from /proc (Linux).
import { readFileSync } from "node:fs";

const TICKS_PER_SEC = 100; // USER_HZ on Linux

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** utime + stime in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SEC;
}

export interface Usage {
  /** Percent of one core over the window. */
  cpuPct: number;
  rssMaxMiB: number;
  rssEndMiB: number;
}

/** Samples `pid` while `work` runs (or for `ms` when work is a number of ms). */
export async function measureUsage(pid: number, work: number | (() => Promise<void>)): Promise<Usage> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  let rssMax = rssMiB(pid);
  const timer = setInterval(() => {
    rssMax = Math.max(rssMax, rssMiB(pid));
  }, 200);
  try {
    if (typeof work === "number") await new Promise((r) => setTimeout(r, work));
    else await work();
  } finally {
    clearInterval(timer);
  }
  const secs = (performance.now() - t0) / 1000;
  const end = rssMiB(pid);
  return { cpuPct: ((cpuSeconds(pid) - c0) / secs) * 100, rssMaxMiB: Math.max(rssMax, end), rssEndMiB: end };
}
