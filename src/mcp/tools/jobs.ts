/** Job tools: list, status, logs, stop, cancel, delete — each one RPC, answering with `rnx --json` objects. */
import { z } from 'zod';
import { jobJson } from '../../cli/format';
import { listQuery } from '../../cli/list-query';
import { ACTIVE_STATUSES, shapePage } from '../../console/shared/jobs-paging';
import { JOB_STATUSES } from '../../shared/job-status';
import { TailBuffer } from '../output';
import { defineTool, jsonResult, textResult, type ToolDef } from '../tool';
import { followLogs } from './follow';

const jobId = z.string().min(1).describe('Job id, or any unique prefix of 4 or more characters');

/** joblet_list_jobs … joblet_delete_all_jobs. */
export const jobTools: ToolDef[] = [
  defineTool({
    name: 'joblet_list_jobs',
    title: 'List jobs',
    description:
      'List jobs on the joblet node one page at a time, newest first, filtered by the server as `rnx list` and the console do. ' +
      'Each job has id, command, args, status, times, exitCode, failureReason, limits and usage. ' +
      'When next_cursor is not null, older jobs remain: call again with cursor set to it (and the same filters) for the next page.',
    input: {
      status: z
        .enum(['active', ...JOB_STATUSES.map((s) => s.toLowerCase())] as [string, ...string[]])
        .optional()
        .describe('Only jobs in this state; "active" = not finished yet (scheduled, pending, initializing, running, stopping)'),
      since: z.string().max(40).optional().describe('Only jobs created within this duration, e.g. 30m, 2h, 1d'),
      workflow_id: z.string().max(100).optional().describe('Only the jobs of this workflow (id or unique prefix), every attempt'),
      query: z.string().max(200).optional().describe('Only jobs of this page whose id, command line or owner contains this text (a page may then hold fewer than limit)'),
      limit: z.number().int().min(1).max(500).default(50).describe('Jobs per page (default 50)'),
      cursor: z.string().max(200).optional().describe('next_cursor of the previous page; leave out for the newest jobs'),
    },
    write: false,
    async run(a, ctx) {
      // The filters are checked with rnx list's own rules and messages, before any call.
      const q = listQuery({ status: a.status && a.status !== 'active' ? [a.status] : [], since: a.since });
      const statuses = a.status === 'active' ? ACTIVE_STATUSES : q.statuses;
      const r = await ctx.call((c) => c.jobs.listJobs({ pageSize: a.limit, pageToken: a.cursor ?? '', statuses, since: q.since, workflowUuid: a.workflow_id ?? '' }, { signal: ctx.signal }));
      const page = shapePage(r.jobs.map(jobJson), r.nextPageToken, { status: [], q: a.query ?? '', limit: a.limit, before: a.cursor ?? '' });
      return jsonResult({ jobs: page.jobs, count: page.jobs.length, next_cursor: page.next || null });
    },
  }),
  defineTool({
    name: 'joblet_get_job_status',
    title: 'Get job status',
    description: 'Everything about one job (as `rnx status --json`): command, status, exit code, signal, failure reason, times, limits, usage, network, volumes.',
    input: { job_id: jobId },
    write: false,
    async run(a, ctx) {
      return jsonResult(jobJson(await ctx.call((c) => c.jobs.getJobStatus({ uuid: a.job_id }, { signal: ctx.signal }))));
    },
  }),
  defineTool({
    name: 'joblet_get_job_logs',
    title: 'Get job logs',
    description:
      "A job's output: by default what it has printed so far, stdout and stderr interleaved as written (or one stream alone). Long output is cut to its last max_bytes with a note. With follow, waits until the job ends (at most wait_timeout_seconds).",
    input: {
      job_id: jobId,
      stream: z.enum(['all', 'stdout', 'stderr']).default('all').describe('Which output to return'),
      max_bytes: z.number().int().min(1).max(1048576).default(65536).describe('Return at most the last this many bytes (default 65536)'),
      follow: z.boolean().default(false).describe('Wait for the job to end and return everything it printed'),
      wait_timeout_seconds: z.number().int().min(1).max(3600).default(300).describe('With follow: give up waiting after this long'),
    },
    write: false,
    async run(a, ctx) {
      const combined = new TailBuffer(a.max_bytes);
      // stderr includes joblet's own notices (stream 3), as rnx prints them.
      const keep = (s: number) => a.stream === 'all' || (a.stream === 'stdout' ? s === 1 : s !== 1);
      const { timedOut } = await followLogs(ctx, a.job_id, a.follow, a.wait_timeout_seconds, (c) => {
        if (keep(c.stream)) combined.push(c.payload);
      });
      const notes = [
        combined.truncated ? `[showing the last ${combined.max} of ${combined.total} bytes; raise max_bytes for more]` : '',
        timedOut ? `[the job was still running after ${a.wait_timeout_seconds}s]` : '',
      ].filter(Boolean);
      const text = combined.text();
      return textResult(`${notes.length ? `${notes.join('\n')}\n` : ''}${text || (notes.length ? '' : '(no output)')}`);
    },
  }),
  defineTool({
    name: 'joblet_stop_job',
    title: 'Stop a job',
    description: "Stop a running job: SIGTERM, then SIGKILL to every process after the server's grace period. Returns its final status.",
    input: { job_id: jobId },
    write: true,
    destructive: true,
    async run(a, ctx) {
      const r = await ctx.call((c) => c.jobs.stopJob({ uuid: a.job_id }, { signal: ctx.signal }));
      return jsonResult({ id: r.uuid, status: r.status, endTime: r.endTime, exitCode: r.exitCode });
    },
  }),
  defineTool({
    name: 'joblet_cancel_job',
    title: 'Cancel a scheduled job',
    description: 'Cancel a job that has not started: a SCHEDULED job (run later) or a workflow job still PENDING. It becomes CANCELED and never runs; a job that has started is refused (stop it instead).',
    input: { job_id: jobId },
    write: true,
    destructive: true,
    async run(a, ctx) {
      const r = await ctx.call((c) => c.jobs.cancelJob({ uuid: a.job_id }, { signal: ctx.signal }));
      return jsonResult({ id: r.uuid, status: r.status });
    },
  }),
  defineTool({
    name: 'joblet_delete_job',
    title: 'Delete a job',
    description: 'Delete a finished job and its logs (refused while it runs: stop it first).',
    input: { job_id: jobId },
    write: true,
    destructive: true,
    async run(a, ctx) {
      const r = await ctx.call((c) => c.jobs.deleteJob({ uuid: a.job_id }, { signal: ctx.signal }));
      return jsonResult({ id: r.uuid, deleted: r.success });
    },
  }),
  defineTool({
    name: 'joblet_delete_all_jobs',
    title: 'Delete all finished jobs',
    description: 'Delete every finished job and its logs; running jobs are kept.',
    input: {},
    write: true,
    destructive: true,
    async run(_a, ctx) {
      const r = await ctx.call((c) => c.jobs.deleteAllJobs({}, { signal: ctx.signal }));
      return jsonResult({ deleted: r.deletedCount, skipped: r.skippedCount });
    },
  }),
];
