/**
 * Client side of uploads: which files to send (--upload FILE keeps its base name, --upload-dir
 * keeps relative paths), refused when hostile (symlinks, special files), then streamed in chunks
 * so that no file is ever held whole in memory. A progress bar shows on a terminal for big uploads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunJobRequest, RunJobStreamMessage } from '../gen/joblet';
import { InvalidArgumentError } from '../shared/errors';

const CHUNK = 256 * 1024;
/** Uploads bigger than this show a progress bar (on a terminal). */
const PROGRESS_FROM = 8 * 1024 * 1024;

/** One file or directory to send. */
export interface LocalUpload {
  /** Path inside /work. */
  remote: string;
  /** Path on this machine ('' for directories). */
  local: string;
  mode: number;
  size: number;
  isDirectory: boolean;
}

/** Collect --upload files and --upload-dir trees. */
export function collectUploads(files: string[], dirs: string[]): LocalUpload[] {
  const out: LocalUpload[] = [];
  for (const f of files) {
    const st = lstat(f, '--upload');
    if (st.isSymbolicLink()) throw new InvalidArgumentError(`--upload ${f}: is a symbolic link; upload the file it points to instead`);
    if (st.isDirectory()) throw new InvalidArgumentError(`--upload ${f}: is a directory; use --upload-dir=${f}`);
    if (!st.isFile()) throw new InvalidArgumentError(`--upload ${f}: is not a regular file`);
    out.push({ remote: path.basename(f), local: f, mode: st.mode & 0o777, size: st.size, isDirectory: false });
  }
  for (const d of dirs) {
    const st = lstat(d, '--upload-dir');
    if (!st.isDirectory()) throw new InvalidArgumentError(`--upload-dir ${d}: is not a directory${st.isSymbolicLink() ? ' (a symbolic link)' : ''}`);
    walk(d, '', out);
  }
  const seen = new Set<string>();
  for (const u of out) {
    if (seen.has(u.remote)) throw new InvalidArgumentError(`two uploads would land at /work/${u.remote}; rename one`);
    seen.add(u.remote);
  }
  return out;
}

function walk(root: string, rel: string, out: LocalUpload[]): void {
  for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const full = path.join(root, r);
    const st = fs.lstatSync(full);
    if (st.isSymbolicLink()) throw new InvalidArgumentError(`--upload-dir ${root}: ${r} is a symbolic link; symbolic links are not uploaded`);
    if (st.isDirectory()) {
      out.push({ remote: r, local: '', mode: st.mode & 0o777, size: 0, isDirectory: true });
      walk(root, r, out);
    } else if (st.isFile()) out.push({ remote: r, local: full, mode: st.mode & 0o777, size: st.size, isDirectory: false });
    else throw new InvalidArgumentError(`--upload-dir ${root}: ${r} is not a regular file or directory`);
  }
}

function lstat(p: string, flag: string): fs.Stats {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    throw new InvalidArgumentError(`${flag} ${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}

/** The message stream for RunJobStreaming: the request, then every file's data in chunks. */
export async function* uploadMessages(req: RunJobRequest, uploads: LocalUpload[], progress?: (sent: number) => void): AsyncGenerator<RunJobStreamMessage> {
  const listed = uploads.map((u) => ({ path: u.remote, content: Buffer.alloc(0), mode: u.mode, isDirectory: u.isDirectory, size: String(u.size) }));
  yield { message: { $case: 'request', request: { ...req, uploads: listed } } };
  let sent = 0;
  for (const [index, u] of uploads.entries()) {
    if (u.isDirectory) continue;
    const fd = fs.openSync(u.local, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      let left = u.size;
      while (left > 0) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) throw new InvalidArgumentError(`--upload ${u.local}: the file shrank while it was being uploaded`);
        left -= n;
        sent += n;
        yield { message: { $case: 'chunk', chunk: { index, data: buf.subarray(0, n) } } };
        progress?.(sent);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A one-line progress bar on stderr when it is a terminal and the upload is big; else nothing. */
export function progressBar(total: number, stderr: NodeJS.WritableStream): ((sent: number) => void) | undefined {
  if (total < PROGRESS_FROM || !(stderr as NodeJS.WriteStream).isTTY) return undefined;
  const mb = (n: number) => (n / 1048576).toFixed(1);
  let last = -1;
  return (sent) => {
    const pct = Math.floor((sent / total) * 100);
    if (pct === last) return;
    last = pct;
    const filled = Math.round(pct / 4);
    stderr.write(`\rUploading [${'#'.repeat(filled)}${'-'.repeat(25 - filled)}] ${pct}% ${mb(sent)}/${mb(total)} MB${sent >= total ? '\n' : ''}`);
  };
}
