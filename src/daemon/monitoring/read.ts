/**
 * Reading /proc and /sys files as the collectors do dozens of times per sample: open, read into
 * one reused buffer, close. About twice as fast as fs.readFileSync, which stats the file first
 * (pointless for /proc, whose files report size 0) and allocates a buffer per call.
 */
import * as fs from 'node:fs';

const BUF = Buffer.allocUnsafe(256 * 1024);

/** Whole text of a kernel file (latin1: these files are ASCII, and latin1 never throws). */
export function readKernelFile(p: string): string {
  const fd = fs.openSync(p, 'r');
  try {
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, BUF, n, BUF.length - n, null);
      if (got === 0) return BUF.toString('latin1', 0, n);
      n += got;
      // Bigger than the buffer (a huge mountinfo): finish with a growing read.
      if (n === BUF.length) return BUF.toString('latin1', 0, n) + readRest(fd);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readRest(fd: number): string {
  const parts: Buffer[] = [];
  for (;;) {
    const b = Buffer.allocUnsafe(64 * 1024);
    const got = fs.readSync(fd, b, 0, b.length, null);
    if (got === 0) return Buffer.concat(parts).toString('latin1');
    parts.push(b.subarray(0, got));
  }
}

/** Text of a kernel file, or undefined when it does not exist (a process that exited, an absent feature). */
export function readKernelFileIfExists(p: string): string | undefined {
  try {
    return readKernelFile(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** A file holding one integer (a sysfs counter), or undefined when absent or not a number. */
export function readCounter(p: string): number | undefined {
  const t = readKernelFileIfExists(p)?.trim();
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}
