/**
 * Workflows through a real daemon for integration tests: write a YAML file, run it with rnx, and
 * wait on `rnx workflow status --json` until it reaches a state (never a fixed sleep).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestDaemon } from './daemon';

/** One job of `rnx workflow status --json`. */
export interface WfJob {
  name: string;
  id: string;
  status: string;
  exitCode: number | null;
  dependencies: string[];
  requirements: string[];
  startTime: string | null;
  endTime: string | null;
  attempt: number;
  maxAttempts: number;
  attemptIds: string[];
  failureReason: string;
  reusedFrom: string;
}

/** `rnx workflow status --json`. */
export interface WfStatus {
  id: string;
  name: string;
  status: string;
  message: string;
  totalJobs: number;
  completedJobs: number;
  failedJobs: number;
  canceledJobs: number;
  stoppedJobs: number;
  rerunOf: string;
  reruns: string[];
  jobs: WfJob[];
}

const ENDED = ['COMPLETED', 'FAILED', 'CANCELED', 'STOPPED'];

/** A temp directory for workflow files (removed by `cleanup`). */
export function wfDir(): { dir: string; write: (name: string, text: string) => string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-wf-'));
  return {
    dir,
    write: (name, text) => {
      const p = path.join(dir, name);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
      return p;
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** `rnx workflow status --json ID`. */
export async function wfStatus(d: TestDaemon, id: string): Promise<WfStatus> {
  const r = await d.rnx(['workflow', 'status', '--json', id]);
  if (r.code !== 0) throw new Error(`rnx workflow status ${id} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as WfStatus;
}

/** Start a workflow with `rnx <args> --json` (e.g. ['run', '--workflow=f.yaml']); returns its status as printed. */
export async function wfRun(d: TestDaemon, args: string[]): Promise<WfStatus> {
  const r = await d.rnx([...args, '--json']);
  if (r.code !== 0) throw new Error(`rnx ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as WfStatus;
}

/**
 * Wait until `pred` holds on the workflow's status; returns that status. Without `pred`: until it
 * has ended, through one `rnx workflow status --follow --json` (a stream, not a poll: every rnx
 * start costs CPU the daemon under test needs).
 */
export async function wfWait(d: TestDaemon, id: string, pred?: (w: WfStatus) => boolean, timeoutMs = 60000): Promise<WfStatus> {
  if (!pred) {
    const r = await d.rnx(['workflow', 'status', '--follow', '--json', id], { timeoutMs });
    const lines = r.stdout.trim().split('\n');
    if (r.code > 1 || !lines[0]) throw new Error(`rnx workflow status --follow ${id} failed (${r.code}): ${r.stderr}`);
    const w = JSON.parse(lines[lines.length - 1]!) as WfStatus;
    if (!ENDED.includes(w.status)) throw new Error(`rnx workflow status --follow ${id} exited ${r.code} with the workflow ${w.status}`);
    if (r.code !== (w.status === 'COMPLETED' ? 0 : 1)) throw new Error(`rnx workflow status --follow exited ${r.code} for a ${w.status} workflow`);
    return w;
  }
  const until = Date.now() + timeoutMs;
  for (;;) {
    const w = await wfStatus(d, id);
    if (pred(w)) return w;
    if (Date.now() > until) throw new Error(`workflow ${id} did not get there in ${timeoutMs} ms; now:\n${JSON.stringify(w, null, 2)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The job named `name` of a workflow status. */
export function job(w: WfStatus, name: string): WfJob {
  const j = w.jobs.find((x) => x.name === name);
  if (!j) throw new Error(`workflow ${w.id} has no job '${name}' (jobs: ${w.jobs.map((x) => x.name).join(', ')})`);
  return j;
}

/** Milliseconds of a job's start or end time (throws when it has none). */
export function ms(t: string | null, what: string): number {
  if (!t) throw new Error(`${what} has no time`);
  return Date.parse(t);
}

/** Ids of every job `rnx list --json` shows. */
export async function jobIds(d: TestDaemon): Promise<string[]> {
  const r = await d.rnx(['list', '--json']);
  if (r.code !== 0) throw new Error(`rnx list failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { id: string }[]).map((j) => j.id).sort();
}
