/**
 * Uploads of jobs that start later (one-shot schedules, recurring schedules) wait on disk under
 * `<stateDir>/staged/<key>/`, because a job's workspace is RAM (tmpfs) and must survive neither
 * the wait nor a reboot. When the job starts, its workspace is made and the staged tree copied in,
 * owned by the job's user. Only our own writer ever put files there (regular files and
 * directories, created O_EXCL|O_NOFOLLOW); anything else met while copying is skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isJobId } from '../../shared/ids';

/** Root of the staged uploads under a state dir. */
export function stagedRoot(stateDir: string): string {
  return path.join(stateDir, 'staged');
}

/** The directory holding the uploads of `key` (a job or schedule id); its `work/` mirrors /work. */
export function stagedDir(stateDir: string, key: string): string {
  return path.join(stagedRoot(stateDir), key);
}

/** Make an empty staging directory for `key`; returns its work/ path. */
export function createStaged(stateDir: string, key: string): string {
  const work = path.join(stagedDir(stateDir, key), 'work');
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  return work;
}

/** Remove a staging directory (ids only; never a path from elsewhere). */
export function removeStaged(stateDir: string, key: string): void {
  if (!isJobId(key)) return;
  fs.rmSync(stagedDir(stateDir, key), { recursive: true, force: true });
}

/** Keys that have a staging directory. */
export function listStaged(stateDir: string): string[] {
  try {
    return fs.readdirSync(stagedRoot(stateDir)).filter(isJobId);
  } catch {
    return [];
  }
}

/** Copy the staged tree of `key` into a workspace, owned by uid:gid; stops early when `signal` aborts. */
export async function copyStaged(stateDir: string, key: string, dest: string, uid: number, gid: number, signal: AbortSignal): Promise<void> {
  await copyTree(path.join(stagedDir(stateDir, key), 'work'), dest, uid, gid, signal);
}

async function copyTree(src: string, dest: string, uid: number, gid: number, signal: AbortSignal): Promise<void> {
  for (const e of await fs.promises.readdir(src, { withFileTypes: true })) {
    if (signal.aborted) return;
    const from = path.join(src, e.name);
    const to = path.join(dest, e.name);
    const st = await fs.promises.lstat(from);
    if (e.isDirectory()) {
      await fs.promises.mkdir(to, { mode: 0o700 });
      await copyTree(from, to, uid, gid, signal);
    } else if (e.isFile()) {
      await fs.promises.copyFile(from, to, fs.constants.COPYFILE_EXCL);
    } else continue;
    await fs.promises.lchown(to, uid, gid);
    await fs.promises.chmod(to, st.mode & 0o777);
  }
}
