/**
 * What the host says about mounts and loop devices, read from /proc/self/mountinfo and
 * /sys/block/loop*. Readers take their root (procfs file, sysfs dir) as a parameter so unit tests
 * can point them at files of their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One line of mountinfo (proc(5)). */
export interface MountEntry {
  /** "major:minor" of the mounted filesystem. */
  dev: string;
  /** Mount point, unescaped. */
  mountPoint: string;
  fsType: string;
  source: string;
}

/** One attached loop device. */
export interface LoopDevice {
  /** /dev/loopN */
  path: string;
  /** "major:minor" */
  dev: string;
  /** The backing file as the kernel reports it, without the " (deleted)" mark. */
  backingFile: string;
  /** The backing file was deleted (or replaced) after it was attached. */
  deleted: boolean;
}

/** Where the readers look; tests substitute their own files. */
export interface HostPaths {
  mountinfo: string;
  sysBlock: string;
  dev: string;
}

/** The real host. */
export const HOST: HostPaths = { mountinfo: '/proc/self/mountinfo', sysBlock: '/sys/block', dev: '/dev' };

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse the text of a mountinfo file. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const [left, right] = line.split(' - ');
    const f = left!.split(' ');
    const r = (right ?? '').split(' ');
    if (f.length < 5) continue;
    out.push({ dev: f[2]!, mountPoint: unescape(f[4]!), fsType: r[0] ?? '', source: unescape(r[1] ?? '') });
  }
  return out;
}

/** Every mount of this mount namespace, in mount order. */
export function readMounts(host: HostPaths = HOST): MountEntry[] {
  return parseMountInfo(fs.readFileSync(host.mountinfo, 'utf8'));
}

/** Mounts stacked exactly at `dir` (the last one is on top). */
export function mountsAt(dir: string, host: HostPaths = HOST): MountEntry[] {
  return readMounts(host).filter((m) => m.mountPoint === dir);
}

/** Mounts at `dir` or anywhere below it. */
export function mountsUnder(dir: string, host: HostPaths = HOST): MountEntry[] {
  return readMounts(host).filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
}

/** Every attached loop device (a detached one has no backing_file). */
export function loopDevices(host: HostPaths = HOST): LoopDevice[] {
  const out: LoopDevice[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(host.sysBlock).filter((n) => /^loop\d+$/.test(n));
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      const raw = fs.readFileSync(path.join(host.sysBlock, name, 'loop', 'backing_file'), 'utf8').replace(/\n$/, '');
      const deleted = raw.endsWith(' (deleted)');
      out.push({
        path: path.join(host.dev, name),
        dev: fs.readFileSync(path.join(host.sysBlock, name, 'dev'), 'utf8').trim(),
        backingFile: deleted ? raw.slice(0, -' (deleted)'.length) : raw,
        deleted,
      });
    } catch {
      // Not attached (no loop/backing_file), or detached while we looked.
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/** Loop devices whose backing file is `file` (including a deleted file that had this path). */
export function loopsBacking(file: string, host: HostPaths = HOST): LoopDevice[] {
  return loopDevices(host).filter((l) => l.backingFile === file);
}

/** Bytes free to unprivileged users on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Total RAM of the host in bytes, from /proc/meminfo. */
export function totalMemoryBytes(meminfo = '/proc/meminfo'): number {
  const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(fs.readFileSync(meminfo, 'utf8'));
  if (!m) throw new Error(`${meminfo} has no MemTotal line`);
  return Number(m[1]) * 1024;
}
