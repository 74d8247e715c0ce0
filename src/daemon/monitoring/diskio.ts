/**
 * Block device IO: /proc/diskstats counters of whole disks (those in /sys/block), rates and
 * utilisation between two readings. Sectors are always 512 bytes in diskstats, whatever the
 * device's own sector size.
 */
import * as fs from 'node:fs';
import type { DiskIOMetrics, IOMetrics } from '../../gen/joblet';
import { round2 } from './cpu';

/** Counters of one device. */
export interface DiskCounters {
  reads: number;
  readSectors: number;
  readMs: number;
  writes: number;
  writeSectors: number;
  writeMs: number;
  ioMs: number;
}

/** Parse /proc/diskstats, keeping the devices named in `wanted` (all when undefined). */
export function parseDiskstats(text: string, wanted?: ReadonlySet<string>): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const name = f[2]!;
    if (wanted && !wanted.has(name)) continue;
    const n = f.map(Number);
    out.set(name, { reads: n[3]!, readSectors: n[5]!, readMs: n[6]!, writes: n[7]!, writeSectors: n[9]!, writeMs: n[10]!, ioMs: n[12]! });
  }
  return out;
}

/** Whole disks worth reporting: everything in /sys/block but RAM disks. */
export function wholeDisks(sysBlock = '/sys/block'): Set<string> {
  try {
    return new Set(fs.readdirSync(sysBlock).filter((n) => !/^ram\d+$/.test(n)));
  } catch {
    return new Set();
  }
}

function perSecond(now: number, prev: number | undefined, seconds: number): number {
  return prev === undefined || seconds <= 0 || now < prev ? 0 : round2((now - prev) / seconds);
}

/** IO section; devices that never did any IO (unused loop devices) are left out. */
export function ioMetrics(now: Map<string, DiskCounters>, prev: Map<string, DiskCounters> | undefined, seconds: number): IOMetrics {
  const disks: DiskIOMetrics[] = [];
  const io: IOMetrics = { totalReads: 0, totalWrites: 0, readBytes: 0, writeBytes: 0, readRate: 0, writeRate: 0, diskIo: disks };
  for (const [device, c] of [...now].sort(([a], [b]) => a.localeCompare(b))) {
    if (c.reads === 0 && c.writes === 0) continue;
    const p = prev?.get(device);
    const busyMs = p && seconds > 0 && c.ioMs >= p.ioMs ? c.ioMs - p.ioMs : 0;
    disks.push({
      device,
      readsCompleted: c.reads,
      writesCompleted: c.writes,
      readBytes: c.readSectors * 512,
      writeBytes: c.writeSectors * 512,
      readTime: c.readMs,
      writeTime: c.writeMs,
      ioTime: c.ioMs,
      utilization: seconds > 0 ? Math.min(100, round2(busyMs / (seconds * 10))) : 0,
    });
    io.totalReads += c.reads;
    io.totalWrites += c.writes;
    io.readBytes += c.readSectors * 512;
    io.writeBytes += c.writeSectors * 512;
    io.readRate += perSecond(c.readSectors * 512, p && p.readSectors * 512, seconds);
    io.writeRate += perSecond(c.writeSectors * 512, p && p.writeSectors * 512, seconds);
  }
  io.readRate = round2(io.readRate);
  io.writeRate = round2(io.writeRate);
  return io;
}
