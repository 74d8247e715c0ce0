/**
 * Sending a workflow file to the server, shared by `rnx workflow run` and `rnx run --workflow`:
 * the client's checks first (format, requirements, cycles, upload files), then RunWorkflow with
 * the file and its uploads; then the workflow is reported, or followed until it ends.
 */
import type { RunWorkflowRequest } from '../gen/joblet';
import { JobletError } from '../shared/errors';
import { WorkflowInvalidError } from '../shared/workflow/problems';
import type { CliContext } from './base';
import type { Connection } from './client';
import { timingFields, type RunTiming } from './run-schedule';
import { reportSchedule, scheduleJson } from './schedule-format';
import { EXIT_INTERRUPTED } from './stream-output';
import { isTerminal } from './terminal';
import { localPlan, type LocalWorkflow } from './workflow-file';
import { followWorkflow } from './workflow-follow';
import { workflowStatusJson, type WorkflowStatusJson } from './workflow-format';

/** How to run it and what to print. */
export interface SubmitOptions {
  env: Record<string, string>;
  timing: RunTiming;
  follow: boolean;
  json: boolean;
  ctx: CliContext;
}

/** Parse --env KEY=VALUE flags. */
export function envFlags(list: string[], flag = '--env'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new JobletError('INVALID_ARGUMENT', `${flag} ${kv}: use KEY=VALUE`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/** The RunWorkflow request for a local file, after the client's checks (throws listing the problems). */
export function workflowRequest(w: LocalWorkflow, env: Record<string, string>): RunWorkflowRequest {
  const { plan, files, problems } = localPlan(w, env);
  if (!plan || problems.length) throw new WorkflowInvalidError(problems);
  return {
    workflow: w.file,
    totalJobs: plan.jobs.length,
    jobOrder: plan.order,
    yamlContent: w.yaml,
    workflowFiles: files,
    workflowName: plan.workflowName,
    environment: env,
    cron: '',
    cronTimezone: '',
    concurrency: '',
    scheduleName: '',
  };
}

/** Run the workflow of `w`; returns the exit code (with follow: 0 only when it COMPLETED). */
export async function submitWorkflow(conn: Connection, w: LocalWorkflow, o: SubmitOptions): Promise<number> {
  const t = timingFields(o.timing);
  const req = { ...workflowRequest(w, o.env), cron: t.cron, cronTimezone: t.cronTimezone, concurrency: t.concurrency, scheduleName: t.scheduleName };
  const out = (l: string) => o.ctx.stdout.write(`${l}\n`);
  const res = await conn.jobs.runWorkflow(req).catch((err: unknown) => {
    throw tooLarge(err, req.workflowFiles.reduce((n, f) => n + f.content.length, 0));
  });
  if (res.schedule) {
    if (o.json) out(JSON.stringify(scheduleJson(res.schedule), null, 2));
    else reportSchedule(res.schedule, out);
    return 0;
  }
  const created = workflowStatusJson({ workflow: res.workflowInfo!, jobs: res.jobs });
  if (!o.follow) {
    if (o.json) out(JSON.stringify(created, null, 2));
    else report(created, out);
    return 0;
  }
  if (!o.json) o.ctx.stderr.write(`rnx: workflow ${created.id} created (${created.totalJobs} jobs); following it (Ctrl-C stops following, not the workflow)\n`);
  return followUntilEnd(conn, created.id, o.ctx, o.json, false);
}

/** Follow a workflow; exit 0 when it COMPLETED, 1 when it ended otherwise, 130 after Ctrl-C. */
export async function followUntilEnd(conn: Connection, id: string, ctx: CliContext, json: boolean, detail: boolean): Promise<number> {
  const last = await followWorkflow(conn, id, {
    json,
    detail,
    tty: isTerminal(ctx.stdout),
    out: (l) => ctx.stdout.write(`${l}\n`),
    write: (t) => ctx.stdout.write(t),
  });
  if (last === 'detached') {
    ctx.stderr.write(`\nrnx: workflow ${id} keeps running; watch it again with 'rnx workflow status --follow ${id}', stop it with 'rnx workflow stop ${id}'\n`);
    return EXIT_INTERRUPTED;
  }
  if (last.status !== 'COMPLETED' && !json) ctx.stderr.write(`rnx: workflow ${id} ${last.status}${last.message ? `: ${last.message}` : ''}\n`);
  return last.status === 'COMPLETED' ? 0 : 1;
}

/** What `rnx workflow run` prints without --follow. */
function report(s: WorkflowStatusJson, out: (l: string) => void): void {
  out(`Workflow ID: ${s.id}`);
  out(`Name: ${s.name} (${s.file}${s.workflowName ? `:${s.workflowName}` : ''})`);
  out(`Status: ${s.status}`);
  out(`Jobs: ${s.totalJobs} (${s.jobs.map((j) => j.name).join(', ')})`);
  out(`Follow it with 'rnx workflow status --follow ${s.id}'`);
}

/** A message too large for the server names the size and what to do. */
function tooLarge(err: unknown, bytes: number): unknown {
  if (err instanceof JobletError || !(err instanceof Error) || !/larger than max/i.test((err as { details?: string }).details ?? err.message)) return err;
  return new JobletError('RESOURCE_EXHAUSTED', `the workflow with its files (${(bytes / 1048576).toFixed(1)} MB) is larger than the server accepts in one message (server.maxMessageBytes); put large data in a volume`);
}
