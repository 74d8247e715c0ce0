/**
 * Following a workflow until it ends (StreamWorkflowStatus): on a terminal the unified view is redrawn at
 * each change; in a pipe each job's change is one line (a readable CI log), then the final view;
 * with --json one object per change, one per line. Ctrl-C stops following (the workflow runs on).
 */
import { isAbortError } from 'abort-controller-x';
import type { Connection } from './client';
import { localTime, safeText } from './format';
import type { Signals } from './stream-output';
import { statusView, workflowStatusJson, type WorkflowStatusJson } from './workflow-format';

/** Where and how to print. */
export interface FollowOptions {
  json: boolean;
  detail: boolean;
  tty: boolean;
  out: (line: string) => void;
  write: (text: string) => void;
  signals?: Signals;
}

/** Follow workflow `id`; the last status seen, or 'detached' after Ctrl-C. */
export async function followWorkflow(conn: Connection, id: string, o: FollowOptions): Promise<WorkflowStatusJson | 'detached'> {
  const signals = o.signals ?? process;
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  signals.once('SIGINT', onInterrupt);
  let last: WorkflowStatusJson | undefined;
  try {
    for await (const res of conn.workflows.streamWorkflowStatus({ workflowUuid: id }, { signal: abort.signal })) {
      const s = workflowStatusJson(res, o.detail);
      if (o.json) o.write(`${JSON.stringify(s)}\n`);
      else if (o.tty) o.write(`\x1b[H\x1b[2J${statusView(s, o.detail).join('\n')}\n`);
      else for (const line of changes(last, s)) o.out(line);
      last = s;
    }
    if (!last) throw new Error('the server ended the watch without a status');
    if (!o.json && !o.tty) {
      o.out('');
      for (const line of statusView(last, o.detail)) o.out(line);
    }
    return last;
  } catch (err) {
    if (abort.signal.aborted && (isAbortError(err) || (err as Error).name === 'AbortError')) return 'detached';
    throw err;
  } finally {
    signals.off('SIGINT', onInterrupt);
  }
}

/** One line per job whose state changed, and one when the workflow's did. */
function changes(before: WorkflowStatusJson | undefined, now: WorkflowStatusJson): string[] {
  const at = localTime(new Date().toISOString());
  const out: string[] = [];
  if (!before) out.push(`${at}  workflow ${now.id} ${now.status} (${now.totalJobs} jobs)`);
  for (const j of now.jobs) {
    const prev = before?.jobs.find((x) => x.name === j.name);
    if (prev && prev.status === j.status && prev.attempt === j.attempt) continue;
    if (!prev && j.status === 'PENDING') continue;
    const tail = j.failureReason && (j.status === 'FAILED' || j.status === 'CANCELED' || j.status === 'STOPPED') ? ` — ${safeText(j.failureReason)}` : '';
    if (j.status === 'PENDING' && j.nextAttemptTime) {
      out.push(`${at}  ${j.name.padEnd(20)} attempt ${j.attempt}/${j.maxAttempts} failed${j.failureReason ? ` (${safeText(j.failureReason)})` : ''}; attempt ${j.attempt + 1} at ${localTime(j.nextAttemptTime)}`);
      continue;
    }
    out.push(`${at}  ${j.name.padEnd(20)} ${j.status}${j.maxAttempts > 1 ? ` (attempt ${j.attempt}/${j.maxAttempts})` : ''}${tail}`);
  }
  if (before && before.status !== now.status) out.push(`${at}  workflow ${now.status}${now.message ? ` — ${now.message}` : ''}`);
  return out;
}
