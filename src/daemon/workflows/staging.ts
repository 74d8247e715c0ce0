/**
 * A workflow job's uploads wait on disk (jobs/staging.ts) from submission until each attempt
 * starts, under a key of their own that every attempt — and every rerun, and every run of a
 * schedule — shares. A key is removed only when nothing refers to it any more.
 */
import type { FileUpload } from '../../gen/joblet';
import { newJobId } from '../../shared/ids';
import type { StagedUploads } from '../../store/job-record';
import { createStaged, removeStaged } from '../jobs/staging';
import { checkUploadList, WorkspaceWriter, type UploadEntry } from '../jobs/uploads';

/** Write one job's uploads to a new staging directory; returns where, and the paths (files) it holds. */
export function stageFiles(stateDir: string, uid: number, gid: number, files: FileUpload[]): { staged?: StagedUploads; uploads: string[] } {
  if (files.length === 0) return { uploads: [] };
  const entries: UploadEntry[] = files.map((f) => ({ path: f.path, mode: f.mode, isDirectory: f.isDirectory, size: f.isDirectory ? -1 : f.content.length }));
  const inodes = checkUploadList(entries);
  const key = newJobId();
  try {
    const writer = new WorkspaceWriter(createStaged(stateDir, key), uid, gid);
    const uploads: string[] = [];
    files.forEach((f, i) => {
      const e = entries[i]!;
      if (f.isDirectory) return writer.mkdir(e);
      writer.begin(e);
      writer.write(f.content);
      writer.finish();
      uploads.push(f.path);
    });
    return { staged: { key, bytes: files.reduce((n, f) => n + f.content.length, 0), entries: inodes }, uploads };
  } catch (err) {
    removeStaged(stateDir, key);
    throw err;
  }
}

/** Remove staging keys that nothing refers to any more. */
export function releaseStaged(stateDir: string, keys: Iterable<string>, inUse: (key: string) => boolean, log: (m: string) => void): void {
  for (const key of new Set(keys)) {
    if (inUse(key)) continue;
    try {
      removeStaged(stateDir, key);
    } catch (err) {
      log(`staged uploads ${key}: clean-up: ${(err as Error).message}`);
    }
  }
}
