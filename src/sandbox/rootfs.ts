/**
 * The job's root filesystem (DESIGN §3.2): a tmpfs with read-only host binds (or a runtime's
 * usr instead of the host's, runtime-root.ts), merged-/usr symlinks, a synthesized /etc, a
 * private /tmp, /work, volumes under /volumes, a minimal /dev, /proc and /sys; then pivot_root
 * into it and seal it read-only. Runs in the init stage, in its own mount namespace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../shared/errors';
import { VOLUMES_MOUNT_DIR } from '../shared/volumes';
import { buildDev } from './devfs';
import { bindCaBundle, writeEtc } from './etc';
import { chdir } from './libc/proc';
import { MNT_DETACH, MOUNT_ATTR, MS, mount, mountSetattr, pivotRoot, umount2 } from './libc/mount';
import { bind, ensureDir, ensureFile, mountRootTmpfs, RO, symlinkIn, tmpfs, type Root } from './mounts';
import { mountProc, mountSys } from './procfs';
import { mountRuntimeTree, overlayRuntimeEtc } from './runtime-root';
import type { JobSpec } from './spec';

/** Top-level names that merged-/usr hosts make symlinks into usr/; mirrored when the host has them. */
export const MERGED_USR_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Paths the sandbox builds itself; a read-only bind may not cover or sit inside them. */
const RESERVED = ['/etc', '/proc', '/sys', '/dev', '/tmp', '/work'];

/**
 * Builds the complete new root at spec.rootDir (still in the host's view; see enterRoot);
 * `alternatives` are the /etc/alternatives links the daemon read for it.
 */
export function buildRoot(spec: JobSpec, alternatives: Array<[string, string]>): Root {
  // No propagation either way: our mounts stay out of the host, host changes stay out of the job.
  mount(null, '/', null, MS.REC | MS.PRIVATE);
  const root = mountRootTmpfs(spec.rootDir);
  const done = new Set<string>();
  for (const p of [...spec.readOnlyBinds].map((b) => path.normalize(b)).sort()) {
    if (addHostPath(root, p)) done.add(p);
  }
  // A runtime takes the host's place: its /usr and its merged-/usr links (runtime-root.ts).
  if (spec.runtime) mountRuntimeTree(root, spec.runtime.rootfs, MERGED_USR_LINKS.filter((l) => !done.has(l)));
  else hostMergedUsrLinks(root, done);
  // The host's alternatives point into the host's /usr; a runtime brings its own in its /etc.
  writeEtc(root, spec, spec.runtime ? [] : alternatives);
  if (spec.runtime) overlayRuntimeEtc(root, spec.runtime.rootfs);
  bindCaBundle(root, spec);
  tmpfs(ensureDir(root, '/tmp', 0o1777), MS.NOSUID | MS.NODEV, `mode=1777,size=${spec.tmpSizeBytes}`);
  bind(spec.workDirHost, ensureDir(root, '/work'), MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV);
  for (const b of spec.binds ?? []) addReadWriteBind(root, b);
  buildDev(root, spec.tmpSizeBytes);
  mountProc(root);
  mountSys(root);
  return root;
}

/** Mirrors the host's merged-/usr symlinks (/bin → usr/bin ...) that no bind covered. */
function hostMergedUsrLinks(root: Root, done: Set<string>): void {
  for (const link of MERGED_USR_LINKS) {
    if (done.has(link)) continue;
    const target = fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() ? fs.readlinkSync(link) : undefined;
    if (target && /^\/?usr\//.test(target)) symlinkIn(root, link, target);
  }
}

/** Mirrors one host path read-only: a bind for directories and files, a symlink for symlinks. */
function addHostPath(root: Root, p: string): boolean {
  if (!path.isAbsolute(p) || p === '/' || RESERVED.some((r) => p === r || p.startsWith(`${r}/`) || r.startsWith(`${p}/`))) {
    throw new JobletError('INVALID_ARGUMENT', `read-only bind '${p}' is not allowed: it is / or overlaps ${RESERVED.join(', ')}`);
  }
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return false; // the spec says missing host paths are skipped (e.g. /lib32)
  if (st.isSymbolicLink()) symlinkIn(root, p, fs.readlinkSync(p));
  else if (st.isDirectory()) bind(p, ensureDir(root, p), RO);
  else if (st.isFile()) bind(p, ensureFile(root, p), RO);
  else throw new JobletError('INVALID_ARGUMENT', `read-only bind '${p}' is neither a directory, a file nor a symlink`);
  return true;
}

/**
 * Binds a host directory (a volume's mount) read-write, nosuid, nodev at its target, which must lie
 * under /volumes: the mount point is then made in the root tmpfs, never in a host bind.
 */
function addReadWriteBind(root: Root, b: { source: string; target: string }): void {
  const target = path.posix.normalize(b.target);
  if (target !== b.target || !target.startsWith(`${VOLUMES_MOUNT_DIR}/`)) {
    throw new JobletError('INVALID_ARGUMENT', `read-write bind target '${b.target}' is not allowed: it must be a normalized path under ${VOLUMES_MOUNT_DIR}/`);
  }
  if (!path.isAbsolute(b.source) || !fs.statSync(b.source, { throwIfNoEntry: false })?.isDirectory()) {
    throw new JobletError('INVALID_ARGUMENT', `read-write bind source '${b.source}' is not an existing directory`);
  }
  bind(b.source, ensureDir(root, target), MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV);
}

/**
 * pivot_root into the built root and detach the host's root, then make the root tmpfs and the
 * /dev tmpfs read-only (/tmp, /work, /dev/shm, /dev/pts are separate mounts and stay writable).
 * pivot_root(".", ".") stacks the old root on the new one, so no put_old directory is needed.
 */
export function enterRoot(root: Root): void {
  chdir(root.dir);
  pivotRoot('.', '.');
  umount2('.', MNT_DETACH);
  chdir('/');
  mountSetattr('/', MOUNT_ATTR.RDONLY, false);
  mountSetattr('/dev', MOUNT_ATTR.RDONLY, false);
}
