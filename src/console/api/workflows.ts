/**
 * Workflows: a page of the list, one workflow live (its status and jobs again after every change,
 * from StreamWorkflowStatus), run a workflow file, stop one, delete one — answered as `rnx workflow --json`.
 */
import { workflowJson, workflowStatusJson } from '../../cli/workflow-format';
import { InvalidArgumentError, describeError } from '../../shared/errors';
import { readJson, stringField } from '../http';
import type { WorkflowView } from '../shared/types';
import { EventStream } from '../sse';
import { HANDLED, type Route } from './route';

/** Most workflows listed (newest first). */
const LIST_MAX = 100;
/** Largest workflow file taken from the page. */
const MAX_YAML = 1 << 20;

/** Routes of the workflows page. */
export const workflowRoutes: Route[] = [
  {
    method: 'GET',
    path: 'workflows',
    async handle({ pool, node }): Promise<WorkflowView[]> {
      const r = await pool.call(node, (c) => c.jobs.listWorkflows({ includeCompleted: true, pageSize: LIST_MAX, pageToken: '', statuses: [] }));
      // A page lists its workflows oldest first, as ListJobs does.
      return r.workflows.map((w) => workflowJson(w)).reverse();
    },
  },
  {
    method: 'GET',
    path: 'live/workflows/:id',
    async handle({ pool, node, params, req, res, shutdown }) {
      // Asked first, so that an unknown workflow is a plain 404 the page shows.
      const first = await pool.call(node, (c) => c.jobs.getWorkflowStatus({ workflowUuid: params.id! }));
      const stream = new EventStream(req, res, shutdown);
      await stream.send('status', workflowStatusJson(first, true));
      try {
        await pool.call(node, async (c) => {
          for await (const s of c.workflows.streamWorkflowStatus({ workflowUuid: first.workflow!.uuid }, { signal: stream.signal })) await stream.send('status', workflowStatusJson(s, true));
        });
      } catch (err) {
        if (!stream.signal.aborted) await stream.send('failure', { message: describeError(err) });
      }
      if (!stream.signal.aborted) await stream.end();
      return HANDLED;
    },
  },
  {
    method: 'POST',
    path: 'workflows',
    write: true,
    async handle({ req, pool, node, feeds }) {
      const body = await readJson(req);
      const file = stringField(body, 'file').trim();
      const yaml = stringField(body, 'yaml');
      const workflowName = stringField(body, 'workflowName', false).trim();
      if (!/^[^/\0]{1,255}$/.test(file)) throw new InvalidArgumentError(`file: '${file.slice(0, 60)}' is not a file name`);
      if (!yaml.trim()) throw new InvalidArgumentError(`${file} is empty: a workflow file lists its jobs under 'jobs:'`);
      if (Buffer.byteLength(yaml) > MAX_YAML) throw new InvalidArgumentError(`${file} is larger than ${MAX_YAML} bytes`);
      const r = await pool.call(node, (c) =>
        c.jobs.runWorkflow({ workflow: file, yamlContent: yaml, totalJobs: 0, jobOrder: [], workflowFiles: [], workflowName, environment: {}, cron: '', cronTimezone: '', concurrency: '', scheduleName: '' }),
      );
      feeds.poke(node);
      return { id: r.workflowUuid, status: r.status };
    },
  },
  {
    method: 'POST',
    path: 'workflows/:id/stop',
    write: true,
    async handle({ pool, node, params, feeds }) {
      const s = await pool.call(node, (c) => c.workflows.stopWorkflow({ uuid: params.id! }));
      feeds.poke(node);
      return { id: s.workflow?.uuid ?? params.id!, status: s.workflow?.status ?? '' };
    },
  },
  {
    method: 'DELETE',
    path: 'workflows/:id',
    write: true,
    async handle({ pool, node, params, feeds }) {
      const r = await pool.call(node, (c) => c.workflows.deleteWorkflow({ uuid: params.id! }));
      feeds.poke(node);
      return { id: r.uuid, deleted: r.deleted, deletedJobs: r.deletedJobs };
    },
  },
];
