/**
 * Picks the cgroup implementation once, at daemon start-up (DESIGN §4):
 * - v1: legacy hierarchies carry the controllers and there is no cgroup2 mount;
 * - hybrid: legacy hierarchies carry the controllers and a cgroup2 mount exists besides them
 *   (used only for cgroup.kill, cgroup.events and tracking; see hybrid.ts);
 * - v2: only the unified hierarchy (see v2.ts for the "no internal processes" handling).
 * Job cgroups always sit at `<daemon's own cgroup>/<instance>/job-<id>` in every hierarchy used, so
 * two daemons with different instance names coexist. Mount points come from /proc/self/mountinfo;
 * only mounts at or below `root` are used.
 */
import * as nodeFs from 'node:fs';
import { FailedPreconditionError } from '../../shared/errors';
import { CgroupFs } from './fs';
import { HybridManager } from './hybrid';
import type { CgroupManager } from './manager';
import { findHierarchies, type Hierarchy } from './mounts';
import { V1Manager } from './v1';
import { V2Manager } from './v2';

/** Where cgroup hierarchies are mounted on systemd hosts. */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** Default bound on killAll's wait for an empty cgroup, ms. */
export const DEFAULT_KILL_TIMEOUT_MS = 10_000;

/** Inputs of createCgroupManager; everything but instance has a production default. */
export interface CgroupManagerOptions {
  /** Name of this daemon's parent cgroup under its own cgroup (one per daemon instance). */
  instance: string;
  /** Directory the cgroup hierarchies are mounted at or below (default /sys/fs/cgroup). */
  root?: string;
  /** Content of /proc/self/cgroup (tests). */
  procSelfCgroup?: string;
  /** Content of /proc/self/mountinfo (tests). */
  mountinfo?: string;
  /** File access layer; tests pass one emulating the kernel. Its root wins over `root`. */
  fs?: CgroupFs;
  /** Process moved into `<own>/<instance>-daemon` on v2 when <own> has processes (default: this process). */
  daemonPid?: number;
  /** Bound on killAll's wait, ms (default 10 s). */
  killTimeoutMs?: number;
}

/** The hierarchies found and which implementation they call for. */
export interface CgroupLayout {
  kind: 'v1' | 'v2' | 'hybrid';
  hierarchies: Hierarchy[];
}

/** Works out the cgroup layout of this process without touching any cgroup. */
export function detectCgroupLayout(opts: Omit<CgroupManagerOptions, 'instance'> = {}): CgroupLayout {
  const fs = opts.fs ?? new CgroupFs(opts.root ?? DEFAULT_CGROUP_ROOT);
  const mountinfo = opts.mountinfo ?? nodeFs.readFileSync('/proc/self/mountinfo', 'utf8');
  const procSelfCgroup = opts.procSelfCgroup ?? nodeFs.readFileSync('/proc/self/cgroup', 'utf8');
  const hierarchies = findHierarchies(mountinfo, procSelfCgroup, fs);
  const v1 = hierarchies.filter((h) => h.version === 1);
  const v2 = hierarchies.find((h) => h.version === 2);
  if (v1.length > 0) return { kind: v2 ? 'hybrid' : 'v1', hierarchies };
  if (v2) return { kind: 'v2', hierarchies: [v2] };
  throw new FailedPreconditionError(
    `no usable cgroup hierarchy is mounted under ${fs.root} (checked /proc/self/mountinfo against /proc/self/cgroup); ` +
      'joblet needs cgroup v1 controllers or cgroup2 there',
  );
}

/** Creates the manager matching this host; creates `<own>/<instance>` in every hierarchy used. */
export function createCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  const fs = opts.fs ?? new CgroupFs(opts.root ?? DEFAULT_CGROUP_ROOT);
  const layout = detectCgroupLayout({ ...opts, fs });
  const ctx = { fs, killTimeoutMs: opts.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS };
  switch (layout.kind) {
    case 'v2':
      return new V2Manager(ctx, opts.instance, layout.hierarchies[0], opts.daemonPid ?? process.pid);
    case 'hybrid':
      return new HybridManager(ctx, opts.instance, layout.hierarchies);
    case 'v1':
      return new V1Manager(ctx, opts.instance, layout.hierarchies);
  }
}
