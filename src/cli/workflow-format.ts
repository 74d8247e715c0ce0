/**
 * Workflows as rnx prints them: the stable JSON (documented in README.md) and the unified status
 * view — the header, the job table, and the graph drawn as text.
 */
import type { GetWorkflowStatusResponse, Timestamp, WorkflowInfo, WorkflowJob } from '../gen/joblet';
import { levels } from '../shared/workflow/dag';
import { duration, localTime, safeText, table } from './format';

/** A workflow as `rnx workflow list --json` prints it. */
export interface WorkflowJson {
  id: string;
  name: string;
  file: string;
  workflowName: string;
  description: string;
  status: string;
  message: string;
  onFailure: string;
  totalJobs: number;
  completedJobs: number;
  failedJobs: number;
  canceledJobs: number;
  stoppedJobs: number;
  runningJobs: number;
  pendingJobs: number;
  createdTime: string | null;
  startTime: string | null;
  endTime: string | null;
  durationMs: number;
  owner: string;
  rerunOf: string;
  reruns: string[];
  scheduleId: string;
  scheduleName: string;
}

/** One job of a workflow in JSON. */
export interface WorkflowJobJson {
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
  nextAttemptTime: string | null;
  allowFailure: boolean;
  reusedFrom: string;
}

/** A workflow with its jobs, as `rnx workflow status --json` prints it (`yaml` only with --detail). */
export interface WorkflowStatusJson extends WorkflowJson {
  jobs: WorkflowJobJson[];
  yaml?: string;
}

/** RFC 3339 of a Timestamp, or null. */
export function tsTime(t: Timestamp | undefined): string | null {
  if (!t || (t.seconds === 0 && t.nanos === 0)) return null;
  return new Date(t.seconds * 1000 + Math.floor(t.nanos / 1e6)).toISOString();
}

const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELED', 'STOPPED']);

/** The stable JSON of a workflow's header. */
export function workflowJson(w: WorkflowInfo, now = Date.now()): WorkflowJson {
  const start = tsTime(w.startedAt);
  const end = tsTime(w.completedAt);
  return {
    id: w.uuid,
    name: w.name,
    file: w.workflow,
    workflowName: w.workflowName,
    description: w.description,
    status: w.status,
    message: w.message,
    onFailure: w.onFailure,
    totalJobs: w.totalJobs,
    completedJobs: w.completedJobs,
    failedJobs: w.failedJobs,
    canceledJobs: w.canceledJobs,
    stoppedJobs: w.stoppedJobs,
    runningJobs: w.runningJobs,
    pendingJobs: w.pendingJobs,
    createdTime: tsTime(w.createdAt),
    startTime: start,
    endTime: end,
    durationMs: start ? Math.max(0, (end ? Date.parse(end) : now) - Date.parse(start)) : 0,
    owner: w.owner,
    rerunOf: w.rerunOf,
    reruns: w.reruns,
    scheduleId: w.scheduleId,
    scheduleName: w.scheduleName,
  };
}

/** The stable JSON of one workflow job. */
export function workflowJobJson(j: WorkflowJob): WorkflowJobJson {
  return {
    name: j.jobName,
    id: j.jobUuid,
    status: j.status,
    exitCode: ENDED.has(j.status) && (j.startTime || j.status === 'FAILED') ? j.exitCode : null,
    dependencies: j.dependencies,
    requirements: j.requirements,
    startTime: tsTime(j.startTime),
    endTime: tsTime(j.endTime),
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    attemptIds: j.attemptJobUuids,
    failureReason: j.failureReason,
    nextAttemptTime: tsTime(j.nextAttemptTime),
    allowFailure: j.allowFailure,
    reusedFrom: j.reusedFrom,
  };
}

/** The stable JSON of a workflow with its jobs (and with `yaml`, the file as submitted). */
export function workflowStatusJson(s: GetWorkflowStatusResponse, yaml = false): WorkflowStatusJson {
  return { ...workflowJson(s.workflow!), jobs: s.jobs.map(workflowJobJson), ...(yaml ? { yaml: s.workflow!.yamlContent } : {}) };
}

/** "2/5 jobs completed (1 failed, 1 canceled)". */
export function progress(w: WorkflowJson): string {
  const extra = [w.failedJobs && `${w.failedJobs} failed`, w.canceledJobs && `${w.canceledJobs} canceled`, w.stoppedJobs && `${w.stoppedJobs} stopped`, w.runningJobs && `${w.runningJobs} running`].filter(Boolean);
  return `${w.completedJobs}/${w.totalJobs} jobs completed${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** The unified view: header, job table, graph. `detail` adds failure reasons and the file. */
export function statusView(s: WorkflowStatusJson, detail: boolean): string[] {
  const out: string[] = [];
  const rows: [string, string][] = [
    ['Workflow ID', s.id],
    ['Name', `${safeText(s.name)} (${safeText(s.file)}${s.workflowName ? `:${safeText(s.workflowName)}` : ''})`],
    ['Status', `${s.status}${s.message ? ` — ${safeText(s.message)}` : ''}`],
    ['Progress', progress(s)],
    ['Created', localTime(s.createdTime)],
    ['Started', s.startTime ? localTime(s.startTime) : 'not yet'],
  ];
  if (s.endTime) rows.push(['Ended', localTime(s.endTime)]);
  if (s.startTime) rows.push([s.endTime ? 'Duration' : 'Running For', duration(s.durationMs)]);
  if (s.rerunOf) rows.push(['Rerun Of', s.rerunOf]);
  if (s.reruns.length) rows.push(['Rerun As', s.reruns.join(', ')]);
  if (s.scheduleId) rows.push(['Schedule', `${s.scheduleName || '(unnamed)'} (${s.scheduleId})`]);
  if (s.onFailure === 'stop') rows.push(['On Failure', 'stop']);
  const w = Math.max(...rows.map(([k]) => k.length)) + 1;
  for (const [k, v] of rows) out.push(`${`${k}:`.padEnd(w)} ${v}`);
  out.push('');
  const jobRows = s.jobs.map((j) => [
    j.id,
    safeText(j.name),
    j.status + (j.maxAttempts > 1 ? ` (${j.attempt}/${j.maxAttempts})` : ''),
    j.exitCode === null ? '-' : String(j.exitCode),
    j.dependencies.length ? j.dependencies.map(safeText).join(', ') : '-',
  ]);
  out.push(...table(['JOB UUID', 'JOB NAME', 'STATUS', 'EXIT CODE', 'DEPENDENCIES'], jobRows).split('\n'));
  out.push('');
  out.push(...dagLines(s.jobs));
  if (detail) {
    const notes = s.jobs.filter((j) => j.failureReason || j.reusedFrom || j.nextAttemptTime);
    if (notes.length) {
      out.push('', 'Details:');
      for (const j of notes) {
        const parts = [j.failureReason && safeText(j.failureReason), j.reusedFrom && `reused from workflow ${j.reusedFrom}`, j.nextAttemptTime && `next attempt at ${localTime(j.nextAttemptTime)}`].filter(Boolean);
        out.push(`  ${safeText(j.name)}: ${parts.join('; ')}`);
      }
    }
    out.push('', 'YAML Content:', '='.repeat(60), ...(s.yaml ?? '').replace(/\n$/, '').split('\n').map(safeText), '='.repeat(60));
  }
  return out;
}

const MARK: Record<string, string> = { COMPLETED: '✓', FAILED: '✗', CANCELED: '–', STOPPED: '■', PENDING: '○', SCHEDULED: '○' };

/**
 * The graph as a tree: each job under the job it waits for that runs last (its other
 * dependencies named in "also after"), with its requirement when it is not just COMPLETED.
 */
export function dagLines(jobs: WorkflowJobJson[]): string[] {
  const names = jobs.map((j) => j.name);
  const edges = new Map(jobs.map((j) => [j.name, j.dependencies.filter((d) => names.includes(d))]));
  const level = levels(names, edges);
  const parent = new Map<string, string>();
  for (const j of jobs) {
    const deps = edges.get(j.name)!;
    if (deps.length) parent.set(j.name, deps.reduce((a, b) => ((level.get(b) ?? 0) > (level.get(a) ?? 0) ? b : a)));
  }
  const children = (n: string | undefined) => jobs.filter((j) => parent.get(j.name) === n);
  const out = ['DAG (✓ completed  ✗ failed  ▶ running  ○ pending  – canceled  ■ stopped):'];
  const placed = new Set<string>();
  const draw = (j: WorkflowJobJson, prefix: string, last: boolean, root: boolean) => {
    placed.add(j.name);
    const others = edges.get(j.name)!.filter((d) => d !== parent.get(j.name));
    const conditional = j.requirements.filter((r) => !/: COMPLETED$/.test(r));
    const notes = [others.length && `also after ${others.map(safeText).join(', ')}`, conditional.length && `when ${conditional.map(safeText).join(' and ')}`].filter(Boolean);
    const mark = MARK[j.status] ?? '▶';
    out.push(`  ${prefix}${root ? '' : last ? '└─► ' : '├─► '}${mark} ${safeText(j.name)}${notes.length ? `  (${notes.join('; ')})` : ''}`);
    const kids = children(j.name);
    kids.forEach((k, i) => draw(k, root ? prefix : `${prefix}${last ? '    ' : '│   '}`, i === kids.length - 1, false));
  };
  for (const r of children(undefined)) draw(r, '', true, true);
  // Jobs on a cycle cannot be placed (validation refuses cycles; this is only defensive).
  for (const j of jobs) if (!placed.has(j.name)) out.push(`  ? ${safeText(j.name)}`);
  return out;
}

/** The rows of `rnx workflow list`. */
export function listRows(ws: WorkflowJson[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'PROGRESS', 'CREATED'],
    ws.map((w) => [w.id, safeText(w.name), w.status, `${w.completedJobs}/${w.totalJobs}`, localTime(w.createdTime)]),
  );
}
