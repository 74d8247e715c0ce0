/** `rnx workflow list`: workflows, oldest first, with their progress. */
import type { WorkflowInfo } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { parsePositiveInt } from '../../shared/limits';
import { ClientCommand } from '../base';
import { Flag } from '../flags';
import { listRows, workflowJson } from '../workflow-format';

const STATES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELED', 'STOPPED'];

/** List workflows. */
export class WorkflowListCommand extends ClientCommand {
  static override paths = [['workflow', 'list'], ['workflow', 'ls'], ['workflows']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'List workflows: ID, name, status, progress (completed/total jobs), created',
    details: 'Oldest first. --active shows only PENDING and RUNNING workflows; --status S only those states; --limit N the newest N. With --json: an array of workflows (without their jobs).',
    examples: [
      ['List workflows', 'rnx workflow list'],
      ['Only those still running', 'rnx workflow list --active'],
    ],
  });

  active = Flag.boolean('--active', 'Only workflows that have not ended (PENDING, RUNNING)');
  status = Flag.list('--status', 'STATE', 'Only workflows in this state (repeatable; comma-separated works too)', { values: STATES });
  limit = Flag.string('--limit', 'N', 'Show only the newest N workflows');

  async run(): Promise<number> {
    const limit = this.limit === undefined ? 0 : parsePositiveInt('--limit', this.limit, 1, 1_000_000, 'workflows');
    const statuses = this.status.flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
    for (const s of statuses) if (!STATES.includes(s)) throw new InvalidArgumentError(`--status: '${s}' is not a workflow state; use ${STATES.join(', ')}`);
    const list = await this.withNode(async (c) => {
      const pages: WorkflowInfo[][] = [];
      let have = 0;
      let token = '';
      do {
        const page = await c.jobs.listWorkflows({ includeCompleted: !this.active, pageSize: limit ? Math.min(1000, limit - have) : 0, pageToken: token, statuses });
        pages.unshift(page.workflows);
        have += page.workflows.length;
        token = page.nextPageToken;
      } while (token && (!limit || have < limit));
      return pages.flat().map((w) => workflowJson(w));
    });
    const shown = limit ? list.slice(Math.max(0, list.length - limit)) : list;
    if (this.wantJson) {
      this.json(shown);
      return 0;
    }
    if (shown.length === 0) {
      this.out('No workflows found');
      return 0;
    }
    this.out(listRows(shown));
    return 0;
  }
}
