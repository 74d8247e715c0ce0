/**
 * A runtime in place of the host's /usr (the rootfs step of a job started with --runtime).
 *
 * A runtime is a complete root filesystem built from distribution packages
 * (src/daemon/runtimes/). A job sees its `usr` (and `opt`, when the runtime has one) bound
 * read-only, nosuid, nodev, and its merged-/usr links; nothing of the host's /usr. Its /etc stays
 * the synthesized one, with the runtime's own package configuration (java.security, the
 * alternatives that point into the runtime, ld.so.cache, matplotlibrc, ...) visible *underneath*:
 * one read-only overlay whose upper layer is the synthesized /etc, so passwd, group, hosts,
 * resolv.conf, nsswitch.conf and the CA bundle are always ours, never the runtime's.
 *
 * Nothing is copied per job: every job binds the same directories. The runtime's tree is
 * immutable once installed (root-owned, under the 0700 state directory), so checking that the
 * top-level entries are real directories right before mounting leaves no window for a symlink
 * swap. They must be: mount(2) follows symlinks in its source, and a runtime whose `usr` were a
 * symlink to `/` would hand the job the host's root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../shared/errors';
import { MS, mount } from './libc/mount';
import { bind, ensureDir, RO, symlinkIn, type Root } from './mounts';

/** Refuses a runtime path that is not an absolute path to a directory holding a real usr/. */
export function checkRuntimeRootfs(rootfs: string): void {
  if (!path.isAbsolute(rootfs) || rootfs.includes('\0') || path.normalize(rootfs) !== rootfs) {
    throw new JobletError('INVALID_ARGUMENT', `runtime root '${rootfs}' must be a normalized absolute path`);
  }
  if (!realDir(rootfs)) throw new JobletError('FAILED_PRECONDITION', `runtime root ${rootfs} is not a directory`);
  if (!realDir(path.join(rootfs, 'usr'))) throw new JobletError('FAILED_PRECONDITION', `runtime root ${rootfs} has no usr directory (or it is a symlink)`);
}

/** Binds the runtime's usr (and a non-empty opt) read-only and mirrors its merged-/usr links. */
export function mountRuntimeTree(root: Root, rootfs: string, mergedLinks: string[]): void {
  checkRuntimeRootfs(rootfs);
  bind(path.join(rootfs, 'usr'), ensureDir(root, '/usr'), RO);
  const opt = path.join(rootfs, 'opt');
  if (realDir(opt) && fs.readdirSync(opt).length > 0) bind(opt, ensureDir(root, '/opt'), RO);
  for (const link of mergedLinks) {
    const p = path.join(rootfs, link);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    // A symlink is recreated as a symlink: its target resolves inside the job's own view.
    if (st.isSymbolicLink()) symlinkIn(root, link, fs.readlinkSync(p));
    else if (st.isDirectory()) bind(p, ensureDir(root, link), RO); // a runtime without merged /usr
  }
}

/**
 * Puts the runtime's /etc underneath the synthesized one already written at <root>/etc: a
 * read-only overlay, synthesized layer first, so its files win. The overlay is mounted over its
 * own upper layer's directory; the synthesized files stay reachable only through it.
 */
export function overlayRuntimeEtc(root: Root, rootfs: string): void {
  const etc = path.join(rootfs, 'etc');
  if (!realDir(etc)) return;
  const target = path.join(root.dir, 'etc');
  mount('overlay', target, 'overlay', MS.RDONLY | MS.NOSUID | MS.NODEV, `lowerdir=${overlayPath(target)}:${overlayPath(etc)}`);
}

/** A path as overlayfs options need it: ',', ':' and '\' escaped with a backslash. */
export function overlayPath(p: string): string {
  return p.replace(/[\\,:]/g, (c) => `\\${c}`);
}

function realDir(p: string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
