/**
 * Which cgroup hierarchies this process can use and where its own cgroup is in each: parsed from
 * /proc/self/mountinfo (mount points, never assumed to be /sys/fs/cgroup/<name>) and
 * /proc/self/cgroup (the process's path per hierarchy, which need not be "/").
 */
import * as path from 'node:path';
import type { CgroupFs } from './fs';

/** The v1 controllers joblet places jobs in; others (devices, net_cls, perf_event...) are left alone. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'freezer'] as const;

/** One line of /proc/self/mountinfo that mounts a cgroup filesystem. */
export interface CgroupMount {
  /** "cgroup" (v1) or "cgroup2". */
  fsType: 'cgroup' | 'cgroup2';
  /** Directory of the hierarchy that is mounted (usually "/"; a sub-cgroup for bind mounts). */
  mountRoot: string;
  /** Mount point. */
  mountPoint: string;
  /** Super options, e.g. ["rw", "cpu", "cpuacct"] for a v1 hierarchy with two controllers. */
  superOptions: string[];
}

/** One hierarchy this process is a member of, and where its own cgroup is. */
export interface Hierarchy {
  /** 1 for a legacy hierarchy, 2 for the unified one. */
  version: 1 | 2;
  /** v1 controllers bound to it (from /proc/self/cgroup, e.g. ["cpu", "cpuacct"]); [] for cgroup2. */
  controllers: string[];
  /** Mount point used to reach it. */
  mountPoint: string;
  /** Directory of this process's own cgroup in it. */
  ownDir: string;
}

// mountinfo escapes space, tab, newline and backslash in paths as octal.
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Cgroup mounts listed in mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.trim().split(' ');
    // Optional fields (shared:N, master:N) sit between field 6 and the lone "-" separator.
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) continue;
    const fsType = fields[sep + 1];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({
      fsType,
      mountRoot: unescapeMountPath(fields[3]),
      mountPoint: unescapeMountPath(fields[4]),
      superOptions: fields[sep + 3].split(','),
    });
  }
  return mounts;
}

/** One line of /proc/self/cgroup. */
interface Membership {
  controllers: string[];
  cgroupPath: string;
}

/** Lines of /proc/self/cgroup: "hierarchy-id:controller-list:path". */
export function parseProcCgroup(text: string): { v1: Membership[]; v2?: string } {
  const v1: Membership[] = [];
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    // A cgroup removed under a running process shows as "/path (deleted)"; the path part still locates it.
    const cgroupPath = m[3].replace(/ \(deleted\)$/, '');
    if (m[1] === '0' && m[2] === '') v2 = cgroupPath;
    else v1.push({ controllers: m[2].split(',').filter((c) => c !== ''), cgroupPath });
  }
  return { v1, v2 };
}

// The process's cgroup seen through one mount, or undefined when the mount does not expose it
// (a bind mount of a different sub-tree).
function ownDirThrough(mount: CgroupMount, cgroupPath: string): string | undefined {
  const root = mount.mountRoot;
  // "/../x" appears when the process sits outside its cgroup namespace's root: not reachable here.
  if (cgroupPath.split('/').includes('..')) return undefined;
  // path.resolve also drops the trailing "/" that joining the mount point with "/" leaves.
  if (root === '/') return path.resolve(mount.mountPoint, '.' + cgroupPath);
  if (cgroupPath === root) return path.resolve(mount.mountPoint);
  if (cgroupPath.startsWith(root + '/')) return path.resolve(mount.mountPoint, '.' + cgroupPath.slice(root.length));
  return undefined;
}

// Among mounts of one hierarchy, the one under the fs root that reaches our cgroup, preferring the
// mount of the whole hierarchy (a hierarchy may be mounted several times).
function pick(mounts: CgroupMount[], cgroupPath: string, fs: CgroupFs): { mount: CgroupMount; ownDir: string } | undefined {
  const usable = mounts
    .filter((m) => fs.contains(m.mountPoint))
    .map((mount) => ({ mount, ownDir: ownDirThrough(mount, cgroupPath) }))
    .filter((c): c is { mount: CgroupMount; ownDir: string } => c.ownDir !== undefined);
  usable.sort((a, b) => a.mount.mountRoot.length - b.mount.mountRoot.length);
  return usable[0];
}

/**
 * The hierarchies joblet can use: every v1 hierarchy carrying one of V1_CONTROLLERS and the cgroup2
 * hierarchy, each mounted at or below fs.root and reaching this process's own cgroup.
 */
export function findHierarchies(mountinfo: string, procSelfCgroup: string, fs: CgroupFs): Hierarchy[] {
  const mounts = parseCgroupMounts(mountinfo);
  const own = parseProcCgroup(procSelfCgroup);
  const found: Hierarchy[] = [];
  for (const member of own.v1) {
    const controllers = member.controllers.filter((c) => !c.startsWith('name='));
    if (!controllers.some((c) => (V1_CONTROLLERS as readonly string[]).includes(c))) continue;
    // The super options of a v1 mount list exactly the controllers bound to its hierarchy.
    const same = mounts.filter(
      (m) => m.fsType === 'cgroup' && member.controllers.every((c) => m.superOptions.includes(c)),
    );
    const chosen = pick(same, member.cgroupPath, fs);
    if (chosen) found.push({ version: 1, controllers, mountPoint: chosen.mount.mountPoint, ownDir: chosen.ownDir });
  }
  if (own.v2 !== undefined) {
    const chosen = pick(
      mounts.filter((m) => m.fsType === 'cgroup2'),
      own.v2,
      fs,
    );
    if (chosen) found.push({ version: 2, controllers: [], mountPoint: chosen.mount.mountPoint, ownDir: chosen.ownDir });
  }
  return found;
}
