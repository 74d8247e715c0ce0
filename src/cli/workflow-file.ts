/**
 * A workflow file on this machine: read it, check it as far as the client can (the format, the
 * requirements and cycles, the upload files exist), and collect the files its jobs upload —
 * paths relative to the file's directory, as the server expects them in workflowFiles.
 * Symbolic links and special files are refused, as with --upload.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileUpload } from '../gen/joblet';
import type { LocalUpload } from './uploads';
import { InvalidArgumentError } from '../shared/errors';
import { buildPlan, planJobAlone, selectorKind, splitSelector, type Plan, type PlanJob } from '../shared/workflow/plan';
import { Problems, WorkflowInvalidError, type Problem } from '../shared/workflow/problems';
import { parseYamlDoc, type YamlDoc } from '../shared/workflow/yaml';

/** A workflow file read from disk, and what `FILE:NAME` chose in it. */
export interface LocalWorkflow {
  /** The path as given (for messages) and the file's base name (sent as `workflow`). */
  path: string;
  file: string;
  dir: string;
  yaml: string;
  doc: YamlDoc;
  /** The name after the colon ('' when none), and what it names. */
  name: string;
  kind: 'workflow' | 'job' | undefined;
}

/** Read `FILE[:NAME]`; a missing or unreadable file, or YAML that does not parse, is refused. */
export function readWorkflow(arg: string): LocalWorkflow {
  const { file: p, name } = splitSelector(arg, (f) => fs.existsSync(f));
  let yaml: string;
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) throw new InvalidArgumentError(`${p}: not a file`);
    if (st.size > 64 * 1024 * 1024) throw new InvalidArgumentError(`${p}: ${st.size} bytes is too large for a workflow file`);
    yaml = fs.readFileSync(p, 'utf8');
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(`${p}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const doc = parseYamlDoc(yaml, path.basename(p));
  if ('message' in doc) throw new WorkflowInvalidError([doc]);
  const kind = name ? selectorKind(doc, name) : 'workflow';
  if (kind === 'both') throw new InvalidArgumentError(`${p}: '${name}' is both a workflow and a job of this file; rename one`);
  if (name && kind === undefined) {
    const d = doc.data as { workflows?: object; jobs?: object };
    const known = [...Object.keys(d.workflows ?? {}).map((w) => `workflow ${w}`), ...Object.keys(d.jobs ?? {}).map((j) => `job ${j}`)];
    throw new InvalidArgumentError(`${p}: no workflow or job named '${name}' (${known.length ? known.join(', ') : 'it defines none'})`);
  }
  return { path: p, file: path.basename(p), dir: path.dirname(path.resolve(p)), yaml, doc, name, kind };
}

/** The plan of the chosen workflow, checked as far as the client can; every problem found. */
export function localPlan(w: LocalWorkflow, env: Record<string, string>): { plan?: Plan; files: FileUpload[]; problems: Problem[] } {
  const { plan, problems } = buildPlan(w.doc, { workflowName: w.kind === 'workflow' ? w.name : undefined, env });
  if (!plan) return { files: [], problems };
  const p = new Problems(w.file, w.doc.lineOf);
  p.addAll(problems);
  const files = collectFiles(w, plan.jobs, p);
  return { plan, files, problems: p.list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

/** One job of the file on its own (`rnx run --workflow=FILE:JOB`), with its upload files. */
export function localJob(w: LocalWorkflow, env: Record<string, string>): { job: PlanJob; files: FileUpload[] } {
  const { job, problems } = planJobAlone(w.doc, w.name, { env });
  if (!job) throw new WorkflowInvalidError(problems);
  const p = new Problems(w.file, w.doc.lineOf);
  const files = collectFiles(w, [job], p);
  if (!p.empty) throw new WorkflowInvalidError(p.list);
  return { job, files };
}

/** The files the jobs upload, read from the file's directory; a missing one is a problem at its key. */
function collectFiles(w: LocalWorkflow, jobs: PlanJob[], p: Problems): FileUpload[] {
  const out = new Map<string, FileUpload>();
  for (const j of jobs) {
    j.uploads.files.forEach((f, i) => {
      const where = [...j.at, 'uploads', 'files', i];
      const full = path.join(w.dir, f);
      const st = lstat(full);
      if (!st) return p.add(where, `'${f}' does not exist (looked for ${full})`);
      if (st.isSymbolicLink()) return p.add(where, `'${f}' is a symbolic link; upload the file it points to instead`);
      if (st.isDirectory()) return p.add(where, `'${f}' is a directory; list it under uploads.directories`);
      if (!st.isFile()) return p.add(where, `'${f}' is not a regular file`);
      out.set(f, { path: f, content: fs.readFileSync(full), mode: st.mode & 0o777, isDirectory: false, size: '0' });
    });
    j.uploads.directories.forEach((d, i) => {
      const where = [...j.at, 'uploads', 'directories', i];
      const full = path.join(w.dir, d);
      const st = lstat(full);
      if (!st) return p.add(where, `'${d}' does not exist (looked for ${full})`);
      if (!st.isDirectory() || st.isSymbolicLink()) return p.add(where, `'${d}' is not a directory`);
      try {
        walk(w.dir, d, out);
      } catch (err) {
        p.add(where, (err as Error).message);
      }
    });
  }
  return [...out.values()];
}

function walk(root: string, rel: string, out: Map<string, FileUpload>): void {
  const st = fs.lstatSync(path.join(root, rel));
  out.set(rel, { path: rel, content: Buffer.alloc(0), mode: st.mode & 0o777, isDirectory: true, size: '0' });
  for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
    const r = `${rel}/${name}`;
    const s = fs.lstatSync(path.join(root, r));
    if (s.isSymbolicLink()) throw new Error(`${r} is a symbolic link; symbolic links are not uploaded`);
    if (s.isDirectory()) walk(root, r, out);
    else if (s.isFile()) out.set(r, { path: r, content: fs.readFileSync(path.join(root, r)), mode: s.mode & 0o777, isDirectory: false, size: '0' });
    else throw new Error(`${r} is not a regular file or directory`);
  }
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The uploads of one job as local files (for RunJobStreaming), relative paths kept. */
export function jobUploads(w: LocalWorkflow, job: PlanJob): LocalUpload[] {
  const out: LocalUpload[] = [];
  for (const f of job.uploads.files) {
    const st = fs.statSync(path.join(w.dir, f));
    out.push({ remote: f, local: path.join(w.dir, f), mode: st.mode & 0o777, size: st.size, isDirectory: false });
  }
  for (const d of job.uploads.directories) {
    const files = new Map<string, FileUpload>();
    walk(w.dir, d, files);
    for (const e of files.values()) {
      const full = path.join(w.dir, e.path);
      out.push({ remote: e.path, local: e.isDirectory ? '' : full, mode: e.mode, size: e.isDirectory ? 0 : e.content.length, isDirectory: e.isDirectory });
    }
  }
  return out;
}
