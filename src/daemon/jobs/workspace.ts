/**
 * A job's host-side directory: `root/` (the init mounts the job's root tmpfs there) and `work/`,
 * a tmpfs sized to the job's disk quota plus its uploads, so writing past the quota gives ENOSPC
 * inside the job — for bytes and for inodes — and the host disk is never touched. The daemon
 * mounts it in its own (the host's) mount namespace before uploads are written, and unmounts it
 * when the job is over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MNT_DETACH, MS, mount, umount2 } from '../../sandbox/libc/mount';

/** Inodes granted per quota byte: one per 4 KiB, as ext4 would by default. */
const BYTES_PER_INODE = 4096;

/** Sizing of a workspace. */
export interface WorkspaceQuota {
  /** The job's quota (its --max-disk or the server default). */
  diskBytes: number;
  /** Total size of its uploads, added on top so uploads never eat the quota. */
  uploadBytes: number;
  /** Number of uploaded files and directories, each granted an inode on top. */
  uploadEntries: number;
}

/** Create `dir/root` and `dir/work` (a sized tmpfs owned by uid:gid). */
export function createWorkspace(dir: string, q: WorkspaceQuota, uid: number, gid: number): void {
  fs.mkdirSync(path.join(dir, 'root'), { recursive: true, mode: 0o700 });
  const work = path.join(dir, 'work');
  fs.mkdirSync(work, { mode: 0o700 });
  // Every uploaded file may round up to a page; count that as upload, not as the job's quota.
  const size = q.diskBytes + q.uploadBytes + q.uploadEntries * 4096;
  const inodes = Math.max(64, Math.floor(q.diskBytes / BYTES_PER_INODE)) + q.uploadEntries + 1;
  mount('tmpfs', work, 'tmpfs', MS.NOSUID | MS.NODEV, `size=${size},nr_inodes=${inodes},mode=0755,uid=${uid},gid=${gid}`);
}

/** Unmount the workspace (if mounted) and remove the directory. */
export function removeWorkspace(dir: string): void {
  try {
    umount2(path.join(dir, 'work'), MNT_DETACH);
  } catch {
    // Not mounted (never created, or already gone): nothing to undo.
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
