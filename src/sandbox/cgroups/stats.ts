/**
 * Version-specific usage counters beyond the basics: IO bytes (v2 io.stat, v1 blkio), CFS
 * throttling (cpu.stat of either version), the memory limit in force, and pressure stall
 * information (cgroup2 *.pressure files). Parsers take file text so unit tests need no cgroupfs.
 */
import * as path from 'node:path';
import type { CgroupFs } from './fs';
import { parseKeyed, parseNumber } from './limits';
import type { CgroupPressure, CgroupStats } from './manager';

/** v1 reports "no limit" as the largest page-aligned counter (9223372036854771712); anything this large is no limit. */
const V1_UNLIMITED = 2 ** 60;

/** Bytes read and written from v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=..." per device). */
export function parseIoStat(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/\brbytes=(\d+)|\bwbytes=(\d+)/g)) {
    if (m[1] !== undefined) read += Number(m[1]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** Bytes read and written from v1 blkio.throttle.io_service_bytes ("8:0 Read 123" per device and operation). */
export function parseBlkioBytes(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/^\d+:\d+ (Read|Write) (\d+)$/gm)) {
    if (m[1] === 'Read') read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** The avg10 values of one *.pressure file: "some avg10=1.50 avg60=… total=…" and "full …". */
export function parsePressure(text: string | undefined): { some: number; full: number } | undefined {
  if (text === undefined) return undefined;
  const some = /^some avg10=([\d.]+)/m.exec(text);
  if (!some) return undefined;
  const full = /^full avg10=([\d.]+)/m.exec(text);
  return { some: Number(some[1]), full: full ? Number(full[1]) : 0 };
}

/** PSI of the cgroup2 directory `dir`, or undefined when the kernel keeps none (no PSI, psi=0, or no file). */
export function readPressure(fs: CgroupFs, dir: string | undefined): CgroupPressure | undefined {
  if (dir === undefined) return undefined;
  const read = (name: string) => {
    try {
      return parsePressure(fs.readIfExists(path.join(dir, name)));
    } catch {
      // With PSI compiled in but disabled (psi=0) the files exist and reading them fails (EOPNOTSUPP).
      return undefined;
    }
  };
  const cpu = read('cpu.pressure');
  const memory = read('memory.pressure');
  const io = read('io.pressure');
  if (!cpu && !memory && !io) return undefined;
  return { cpuSome: cpu?.some ?? 0, memorySome: memory?.some ?? 0, memoryFull: memory?.full ?? 0, ioSome: io?.some ?? 0, ioFull: io?.full ?? 0 };
}

/** Throttling counters from a cpu.stat text; v1 reports the time in ns (throttled_time), v2 in µs (throttled_usec). */
export function parseThrottling(text: string | undefined): Pick<CgroupStats, 'cpuPeriods' | 'cpuThrottledPeriods' | 'cpuThrottledUsec'> {
  const k = parseKeyed(text);
  const ns = k.get('throttled_time');
  return {
    cpuPeriods: k.get('nr_periods'),
    cpuThrottledPeriods: k.get('nr_throttled'),
    cpuThrottledUsec: k.get('throttled_usec') ?? (ns === undefined ? undefined : Math.floor(ns / 1000)),
  };
}

/** A v1 memory.limit_in_bytes value, undefined for "no limit". */
export function parseV1Limit(text: string | undefined): number | undefined {
  const n = parseNumber(text);
  return n === undefined || n >= V1_UNLIMITED ? undefined : n;
}

/** The stats without the fields the host could not tell (so they print and compare cleanly). */
export function definedStats(s: CgroupStats): CgroupStats {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined) out[k] = v;
  return out as CgroupStats;
}
