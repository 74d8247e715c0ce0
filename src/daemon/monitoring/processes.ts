/**
 * Processes: one pass over /proc/<pid>/stat for the counts by state, the thread total and the top
 * 10 by CPU and by memory. CPU percent (100 = one core) is the tick delta since an earlier scan of
 * the same process (same pid and start time); a process younger than that scan is measured over
 * its whole life. Command lines are read only for the processes that make a top list.
 */
import * as fs from 'node:fs';
import type { ProcessInfo, ProcessMetrics } from '../../gen/joblet';
import { round2 } from './cpu';
import { readKernelFileIfExists } from './read';

/** USER_HZ: the unit of /proc tick counters, 100 on every Linux architecture. */
export const CLK_TCK = 100;

/** How many processes each top list holds. */
export const TOP_N = 10;

/** One process as its stat file describes it. */
export interface ProcStat {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  /** utime + stime, ticks. */
  ticks: number;
  threads: number;
  /** Start time, ticks after boot. */
  start: number;
  /** Resident pages. */
  rss: number;
}

/** A scan: every process by pid, and when it was taken (monotonic ms). */
export interface ProcScan {
  at: number;
  procs: Map<number, ProcStat>;
}

/** Parse /proc/<pid>/stat; the name is between the first "(" and the last ")" (it may hold either). */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(' ');
  if (f.length < 22) return undefined;
  return {
    pid: Number(text.slice(0, open)),
    name: text.slice(open + 1, close),
    state: f[0]!,
    ppid: Number(f[1]),
    ticks: Number(f[11]) + Number(f[12]),
    threads: Number(f[17]),
    start: Number(f[19]),
    rss: Number(f[21]),
  };
}

/** Read every process of `procRoot` (default /proc). Processes that exit meanwhile are skipped. */
export function scanProcesses(now: number, procRoot = '/proc'): ProcScan {
  const procs = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync(procRoot)) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const text = readKernelFileIfExists(`${procRoot}/${entry}/stat`);
    const p = text === undefined ? undefined : parseStat(text);
    if (p) procs.set(p.pid, p);
  }
  return { at: now, procs };
}

/** Settings for turning a scan into the API's section. */
export interface ProcessContext {
  pageSize: number;
  memTotalBytes: number;
  bootTimeSec: number;
  /** Seconds since boot now (for processes younger than the earlier scan). */
  uptimeSec: number;
  procRoot?: string;
}

function cpuPercent(p: ProcStat, prev: ProcScan | undefined, now: ProcScan, ctx: ProcessContext): number {
  const before = prev?.procs.get(p.pid);
  if (prev && before && before.start === p.start) {
    const secs = (now.at - prev.at) / 1000;
    return secs > 0 ? round2((100 * (p.ticks - before.ticks)) / CLK_TCK / secs) : 0;
  }
  const age = ctx.uptimeSec - p.start / CLK_TCK;
  return age > 0 ? round2((100 * p.ticks) / CLK_TCK / age) : 0;
}

function commandOf(p: ProcStat, procRoot: string): string {
  const raw = readKernelFileIfExists(`${procRoot}/${p.pid}/cmdline`);
  // Kernel threads have no command line; ps shows them as [name].
  const cmd = raw?.replace(/\0+$/, '').replace(/\0/g, ' ');
  return cmd ? cmd : `[${p.name}]`;
}

/** Processes section from a scan and an earlier one (for CPU percentages). */
export function processMetrics(now: ProcScan, prev: ProcScan | undefined, ctx: ProcessContext): ProcessMetrics {
  const m: ProcessMetrics = { totalProcesses: 0, runningProcesses: 0, sleepingProcesses: 0, stoppedProcesses: 0, zombieProcesses: 0, totalThreads: 0, topByCpu: [], topByMemory: [] };
  const withCpu: [ProcStat, number][] = [];
  for (const p of now.procs.values()) {
    m.totalProcesses++;
    m.totalThreads += p.threads;
    if (p.state === 'R') m.runningProcesses++;
    // D (disk wait) and I (idle kernel thread) are asleep as far as a user is concerned.
    else if (p.state === 'S' || p.state === 'D' || p.state === 'I') m.sleepingProcesses++;
    else if (p.state === 'T' || p.state === 't') m.stoppedProcesses++;
    else if (p.state === 'Z') m.zombieProcesses++;
    withCpu.push([p, cpuPercent(p, prev, now, ctx)]);
  }
  const procRoot = ctx.procRoot ?? '/proc';
  const info = ([p, cpu]: [ProcStat, number]): ProcessInfo => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    command: commandOf(p, procRoot),
    cpuPercent: cpu,
    memoryPercent: ctx.memTotalBytes > 0 ? round2((100 * p.rss * ctx.pageSize) / ctx.memTotalBytes) : 0,
    memoryBytes: p.rss * ctx.pageSize,
    status: p.state,
    startTime: new Date((ctx.bootTimeSec + p.start / CLK_TCK) * 1000).toISOString(),
  });
  m.topByCpu = [...withCpu].sort((a, b) => b[1] - a[1] || a[0].pid - b[0].pid).slice(0, TOP_N).map(info);
  m.topByMemory = [...withCpu].sort((a, b) => b[0].rss - a[0].rss || a[0].pid - b[0].pid).slice(0, TOP_N).map(info);
  return m;
}

/** The kernel's page size: KernelPageSize of this process's first mapping (4 KiB, 16 KiB or 64 KiB). */
export function pageSize(): number {
  // The first mapping's block is enough; the whole smaps of a Node process runs to hundreds of KB.
  const buf = Buffer.alloc(8192);
  let text = '';
  try {
    const fd = fs.openSync('/proc/self/smaps', 'r');
    try {
      text = buf.toString('latin1', 0, fs.readSync(fd, buf, 0, buf.length, null));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* no smaps (unusual kernels): the common size below */
  }
  const kb = /KernelPageSize:\s+(\d+) kB/.exec(text);
  return kb ? Number(kb[1]) * 1024 : 4096;
}
