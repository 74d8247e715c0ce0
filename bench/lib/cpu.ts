/**
 * CPU time spent per job, to explain a jobs/s figure: the daemon itself, and its reaped children
 * (each job's init stage, which execve()s into the job's command, so the command counts too).
 * On N cores, no rate can exceed N × 1000 / (CPU ms per job), whatever the latency.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time of a process and of its reaped children so far, ms. */
export interface CpuTimes {
  selfMs: number;
  childrenMs: number;
}

/** From /proc/PID/stat: utime + stime, cutime + cstime. */
export function cpuTimes(pid: number): CpuTimes {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from field 3.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return { selfMs: ms(f[11]! + f[12]!), childrenMs: ms(f[13]! + f[14]!) };
}

/** CPU ms per job between two readings, for the daemon, the inits and jobs, and the calling client. */
export interface CpuPerJob {
  daemonMs: number;
  initsMs: number;
  clientMs: number;
}

/** Measures `fn` (which runs `jobs` jobs) from the daemon's and this process's CPU clocks. */
export async function cpuPerJob(daemonPid: number, jobs: number, fn: () => Promise<void>): Promise<CpuPerJob> {
  const d0 = cpuTimes(daemonPid);
  const c0 = process.cpuUsage();
  await fn();
  const c1 = process.cpuUsage(c0);
  const d1 = cpuTimes(daemonPid);
  return { daemonMs: (d1.selfMs - d0.selfMs) / jobs, initsMs: (d1.childrenMs - d0.childrenMs) / jobs, clientMs: (c1.user + c1.system) / 1000 / jobs };
}
