/**
 * Workflow tools: run a workflow (a file on this machine with its uploads, as `rnx workflow run`
 * does, or YAML given inline) and read a workflow's status with its jobs — answered as
 * `rnx workflow status --json`. With wait, the run follows the workflow until it ends, bounded.
 */
import { z } from 'zod';
import type { RunWorkflowRequest } from '../../gen/joblet';
import { readWorkflow } from '../../cli/workflow-file';
import { workflowRequest } from '../../cli/workflow-submit';
import { workflowStatusJson, type WorkflowStatusJson } from '../../cli/workflow-format';
import { InvalidArgumentError } from '../../shared/errors';
import { defineTool, jsonResult, type ToolContext, type ToolDef } from '../tool';

const workflowId = z.string().min(1).describe('Workflow id, or any unique prefix of 4 or more characters');

/** Follow `id` until it ends or `seconds` pass; the last status seen and whether time ran out. */
async function follow(ctx: ToolContext, id: string, seconds: number): Promise<{ last?: WorkflowStatusJson; timedOut: boolean }> {
  const deadline = AbortSignal.timeout(seconds * 1000);
  const signal = AbortSignal.any([ctx.signal, deadline]);
  let last: WorkflowStatusJson | undefined;
  try {
    await ctx.call(async (c) => {
      for await (const s of c.workflows.streamWorkflowStatus({ workflowUuid: id }, { signal })) last = workflowStatusJson(s);
    });
  } catch (err) {
    if (deadline.aborted && !ctx.signal.aborted) return { last, timedOut: true };
    throw err;
  }
  return { last, timedOut: false };
}

/** joblet_run_workflow and joblet_get_workflow_status. */
export const workflowTools: ToolDef[] = [
  defineTool({
    name: 'joblet_run_workflow',
    title: 'Run a workflow',
    description:
      'Run a YAML workflow (jobs with requirements between them, run as one DAG). Give `path` (FILE or FILE:NAME on the machine running rnx mcp; files its jobs upload are sent from beside it) or `yaml` (the file itself; no uploads). Without wait: the workflow id and its jobs. With wait: follows it until it ends (at most wait_timeout_seconds) and returns its final status with every job.',
    input: {
      path: z.string().min(1).optional().describe('Workflow file on this machine, FILE or FILE:NAME (a workflow of its `workflows:`)'),
      yaml: z.string().min(1).max(1048576).optional().describe('The workflow file itself, instead of path'),
      workflow_name: z.string().max(200).optional().describe('With yaml: which workflow of its `workflows:` to run'),
      env: z.record(z.string()).optional().describe("Values overriding the file's top-level environment (and its ${VAR} templates)"),
      wait: z.boolean().default(false).describe('Follow the workflow until it ends and return its final status'),
      wait_timeout_seconds: z.number().int().min(1).max(3600).default(600).describe('With wait: stop waiting after this long (the workflow runs on)'),
    },
    write: true,
    async run(a, ctx) {
      if ((a.path === undefined) === (a.yaml === undefined)) throw new InvalidArgumentError('give either path (a workflow file on this machine) or yaml (its content), not both and not neither');
      if (a.path !== undefined && a.workflow_name !== undefined) throw new InvalidArgumentError('workflow_name goes with yaml; with path, write FILE:NAME');
      const env = a.env ?? {};
      const req: RunWorkflowRequest = a.path !== undefined
        ? workflowRequest(readWorkflow(a.path), env)
        : { workflow: 'workflow.yaml', totalJobs: 0, jobOrder: [], yamlContent: a.yaml!, workflowFiles: [], workflowName: a.workflow_name ?? '', environment: env, cron: '', cronTimezone: '', concurrency: '', scheduleName: '' };
      const r = await ctx.call((c) => c.jobs.runWorkflow(req, { signal: ctx.signal }));
      if (!a.wait) return jsonResult(r.workflowInfo ? workflowStatusJson({ workflow: r.workflowInfo, jobs: r.jobs }) : { id: r.workflowUuid, status: r.status });
      const { last, timedOut } = await follow(ctx, r.workflowUuid, a.wait_timeout_seconds);
      const final = last ?? workflowStatusJson(await ctx.call((c) => c.jobs.getWorkflowStatus({ workflowUuid: r.workflowUuid }, { signal: ctx.signal })));
      return jsonResult(timedOut ? { ...final, note: `still ${final.status} after ${a.wait_timeout_seconds}s; ask joblet_get_workflow_status later` } : final);
    },
  }),
  defineTool({
    name: 'joblet_get_workflow_status',
    title: 'Get workflow status',
    description: "A workflow's status, progress and every job (name, id, status, exit code, what it waits for, failure reason), as `rnx workflow status --json`; include_yaml adds the file as submitted.",
    input: { workflow_id: workflowId, include_yaml: z.boolean().default(false).describe('Add the workflow file as it was submitted') },
    write: false,
    async run(a, ctx) {
      return jsonResult(workflowStatusJson(await ctx.call((c) => c.jobs.getWorkflowStatus({ workflowUuid: a.workflow_id }, { signal: ctx.signal })), a.include_yaml));
    },
  }),
];
