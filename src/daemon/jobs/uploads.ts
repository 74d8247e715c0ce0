/**
 * Host side of uploads: files sent with a job land in the job's workspace (mounted at /work)
 * before the job starts. Paths come from the network, so each one is checked as hostile: relative,
 * no '..', no empty or '.' components, no NUL, bounded lengths. Files are created with
 * O_EXCL|O_NOFOLLOW inside a directory nobody else can write yet, so no symlink or race can
 * redirect a write outside the workspace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, JobletError } from '../../shared/errors';
import { printable } from '../../shared/ids';

const MAX_FILES = 10_000;
const MAX_PATH = 4096;
const MAX_COMPONENT = 255;
const MAX_DEPTH = 64;

/** One upload as declared by the client. */
export interface UploadEntry {
  path: string;
  mode: number;
  isDirectory: boolean;
  /** Declared size for streamed files; -1 when the content comes inline. */
  size: number;
}

/** Check a relative upload path; returns its normalized components. */
export function checkUploadPath(p: string): string[] {
  const shown = printable(p);
  if (p.length === 0) throw new InvalidArgumentError('upload path is empty');
  if (p.includes('\0')) throw new InvalidArgumentError(`upload path '${shown}' contains a NUL byte`);
  if (p.length > MAX_PATH) throw new InvalidArgumentError(`upload path '${shown}' is longer than ${MAX_PATH} characters`);
  if (p.startsWith('/')) throw new InvalidArgumentError(`upload path '${shown}' is absolute; uploads are placed relative to /work`);
  const parts = p.split('/').filter((c, i, all) => !(c === '' && i === all.length - 1));
  if (parts.length > MAX_DEPTH) throw new InvalidArgumentError(`upload path '${shown.slice(0, 40)}…' is nested deeper than ${MAX_DEPTH} directories`);
  for (const c of parts) {
    if (c === '..') throw new InvalidArgumentError(`upload path '${shown}' contains '..'; uploads cannot leave /work`);
    if (c === '' || c === '.') throw new InvalidArgumentError(`upload path '${shown}' has an empty or '.' component`);
    if (c.length > MAX_COMPONENT) throw new InvalidArgumentError(`upload path '${shown}' has a component longer than ${MAX_COMPONENT} characters`);
  }
  return parts;
}

/**
 * Check a whole upload list: paths, duplicates, a file that is also another upload's directory,
 * count. Returns the number of inodes the uploads need, implied parent directories included.
 */
export function checkUploadList(entries: UploadEntry[]): number {
  if (entries.length > MAX_FILES) throw new InvalidArgumentError(`too many uploads (${entries.length}); at most ${MAX_FILES}`);
  const seen = new Set<string>();
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = checkUploadPath(e.path);
    const key = parts.join('/');
    if (seen.has(key)) throw new InvalidArgumentError(`upload path '${printable(e.path)}' is given twice`);
    seen.add(key);
    if (!e.isDirectory && e.size < -1) throw new InvalidArgumentError(`upload '${printable(e.path)}' has a negative size`);
    (e.isDirectory ? dirs : files).add(key);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const f of files) {
    if (dirs.has(f)) throw new InvalidArgumentError(`upload path '${printable(f)}' is a file but also the directory of another upload`);
  }
  return files.size + dirs.size;
}

/** Writes uploads into a fresh workspace directory, owned by the job's user. */
export class WorkspaceWriter {
  private open: { fd: number; entry: UploadEntry; written: number } | undefined;

  constructor(
    private readonly root: string,
    private readonly uid: number,
    private readonly gid: number,
  ) {}

  /** Create a directory entry (and its parents). */
  mkdir(entry: UploadEntry): void {
    this.ensureDir(checkUploadPath(entry.path), safeMode(entry.mode, 0o755));
  }

  /** Start a file; its data follows through write(). */
  begin(entry: UploadEntry): void {
    this.finish();
    const parts = checkUploadPath(entry.path);
    this.ensureDir(parts.slice(0, -1), 0o755);
    const file = path.join(this.root, ...parts);
    const fd = guard(entry.path, () => fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600));
    fs.fchownSync(fd, this.uid, this.gid);
    this.open = { fd, entry, written: 0 };
  }

  /** Append data to the current file. */
  write(data: Uint8Array): void {
    const cur = this.open;
    if (!cur) throw new InvalidArgumentError('upload data arrived before its file was announced');
    if (cur.entry.size >= 0 && cur.written + data.length > cur.entry.size) {
      throw new InvalidArgumentError(`upload '${printable(cur.entry.path)}' sent more than its declared ${cur.entry.size} bytes`);
    }
    let at = 0;
    while (at < data.length) at += guard(cur.entry.path, () => fs.writeSync(cur.fd, data, at, data.length - at));
    cur.written += data.length;
  }

  /** Close the current file, checking its size and applying its mode. */
  finish(): void {
    const cur = this.open;
    if (!cur) return;
    this.open = undefined;
    try {
      if (cur.entry.size >= 0 && cur.written !== cur.entry.size) {
        throw new InvalidArgumentError(`upload '${printable(cur.entry.path)}' ended after ${cur.written} of ${cur.entry.size} bytes`);
      }
      fs.fchmodSync(cur.fd, safeMode(cur.entry.mode, 0o644));
    } finally {
      fs.closeSync(cur.fd);
    }
  }

  private ensureDir(parts: string[], mode: number): void {
    let dir = this.root;
    for (const c of parts) {
      dir = path.join(dir, c);
      try {
        fs.mkdirSync(dir, { mode });
        fs.chownSync(dir, this.uid, this.gid);
        fs.chmodSync(dir, mode); // mkdir's mode is filtered by the umask
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') guard(parts.join('/'), () => {
          throw err;
        });
        // Only directories we made can exist here; anything else (a file) is a conflicting upload.
        if (!fs.lstatSync(dir).isDirectory()) throw new InvalidArgumentError(`upload path '${printable(parts.join('/'))}' conflicts with an uploaded file`);
      }
    }
  }
}

/**
 * Run a filesystem call for an upload; its errors become messages about the upload — never a host
 * path, which would tell a client where the daemon keeps its state.
 */
function guard<T>(uploadPath: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    if (code === 'ENOSPC') throw new JobletError('RESOURCE_EXHAUSTED', `upload '${printable(uploadPath)}' does not fit in the job's workspace`);
    if (code === 'EEXIST') throw new InvalidArgumentError(`upload path '${printable(uploadPath)}' exists already (given twice, or a file where a directory is needed)`);
    throw new InvalidArgumentError(`upload '${printable(uploadPath)}' cannot be written (${code})`);
  }
}

/** Permission bits only: setuid, setgid and sticky bits from a client are dropped. */
function safeMode(mode: number, fallback: number): number {
  const bits = mode & 0o777;
  return bits === 0 ? fallback : bits;
}
