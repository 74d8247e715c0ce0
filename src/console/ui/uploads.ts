/**
 * Files for a job's /work, from a drop or a file picker, laid out as rnx lays them out: a file
 * lands under its base name (--upload FILE), a directory's contents land directly in /work with
 * their relative paths (--upload-dir DIR).
 */
import type { UploadSource } from '../shared/run-spec';
import type { UploadFile } from './api/jobs';

/** One dropped or picked item and the uploads it makes. */
export interface PickedUpload {
  source: UploadSource;
  files: UploadFile[];
}

const FILE_MODE = 0o644;
const EXEC_MODE = 0o755;
const DIR_MODE = 0o755;

/** Uploads from a drop: files and whole directories (where the browser exposes entries). */
export async function fromDrop(dt: DataTransfer): Promise<PickedUpload[]> {
  const out: PickedUpload[] = [];
  const items = [...dt.items].filter((i) => i.kind === 'file');
  // Entries must be taken before the first await: the DataTransfer is emptied after the event.
  const entries = items.map((i) => ({ entry: i.webkitGetAsEntry?.() ?? null, file: i.getAsFile() }));
  for (const { entry, file } of entries) {
    if (entry?.isDirectory) {
      const files: UploadFile[] = [];
      await walk(entry as FileSystemDirectoryEntry, '', files);
      out.push({ source: { kind: 'dir', name: entry.name }, files });
    } else if (file) out.push(single(file));
  }
  return out;
}

/** Uploads from <input type=file multiple>. */
export function fromFiles(list: FileList): PickedUpload[] {
  return [...list].map(single);
}

/** Uploads from <input type=file webkitdirectory>: one per picked directory. */
export function fromDirectoryPicker(list: FileList): PickedUpload[] {
  const byDir = new Map<string, UploadFile[]>();
  for (const f of [...list]) {
    const parts = f.webkitRelativePath.split('/');
    const dir = parts[0]!;
    const rel = parts.slice(1);
    let files = byDir.get(dir);
    if (!files) byDir.set(dir, (files = []));
    // Parent directories first, as RunJobStreaming lists them.
    for (let i = 1; i < rel.length; i++) {
      const p = rel.slice(0, i).join('/');
      if (!files.some((u) => u.entry.path === p)) files.push({ entry: { path: p, size: 0, mode: DIR_MODE, isDirectory: true } });
    }
    files.push({ entry: { path: rel.join('/'), size: f.size, mode: FILE_MODE, isDirectory: false }, file: f });
  }
  return [...byDir].map(([name, files]) => ({ source: { kind: 'dir', name }, files }));
}

/** Mark a file executable (mode 0755) or not (0644). */
export function setExecutable(u: UploadFile, on: boolean): UploadFile {
  return { ...u, entry: { ...u.entry, mode: on ? EXEC_MODE : FILE_MODE } };
}

/** A message when two uploads would land on the same path, as rnx says it; '' when none do. */
export function clash(picked: PickedUpload[]): string {
  const seen = new Set<string>();
  for (const p of picked) {
    for (const u of p.files) {
      if (seen.has(u.entry.path)) return `two uploads would land at /work/${u.entry.path}; remove or rename one`;
      seen.add(u.entry.path);
    }
  }
  return '';
}

function single(f: File): PickedUpload {
  // A script is most often what one uploads to run: keep it runnable when its name says so.
  const mode = /\.(sh|py|pl|rb)$/.test(f.name) ? EXEC_MODE : FILE_MODE;
  return { source: { kind: 'file', name: f.name }, files: [{ entry: { path: f.name, size: f.size, mode, isDirectory: false }, file: f }] };
}

async function walk(dir: FileSystemDirectoryEntry, prefix: string, out: UploadFile[]): Promise<void> {
  const children = await readAll(dir.createReader());
  children.sort((a, b) => a.name.localeCompare(b.name));
  for (const c of children) {
    const p = prefix ? `${prefix}/${c.name}` : c.name;
    if (c.isDirectory) {
      out.push({ entry: { path: p, size: 0, mode: DIR_MODE, isDirectory: true } });
      await walk(c as FileSystemDirectoryEntry, p, out);
    } else {
      const file = await new Promise<File>((resolve, reject) => (c as FileSystemFileEntry).file(resolve, reject));
      out.push({ entry: { path: p, size: file.size, mode: FILE_MODE, isDirectory: false }, file });
    }
  }
}

/** readEntries answers in batches until it answers with none. */
async function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
