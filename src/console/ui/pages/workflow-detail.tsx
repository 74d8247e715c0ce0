/**
 * One workflow, live: its status and progress, the graph of its jobs coloured by state, the jobs
 * table, and the file as it was submitted — all from the workflow's live stream. Stop and delete
 * ask first.
 */
import { useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { WorkflowStatusView } from '../../shared/types';
import { deleteWorkflow, stopWorkflow, workflowLiveUrl } from '../api/workflows';
import { CommandBox, ErrorLine, Facts, Section, StatusBadge } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { WorkflowGraph } from '../components/dag';
import { duration, localTime } from '../format';
import { useLive } from '../live';
import { href, navigate } from '../router';
import { useApp } from '../state';

const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELED', 'STOPPED']);

/** The workflow page. */
export function WorkflowDetailPage({ id }: { id: string }) {
  const { node } = useApp();
  const [w, setW] = useState<WorkflowStatusView | undefined>();
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  useLive(workflowLiveUrl(node.name, id), {
    status: (s: WorkflowStatusView) => {
      setW(s);
      setError('');
    },
    failure: (f: { message: string }) => setError(f.message),
    onError: (closed) => {
      // A refused first call (an unknown id) arrives as an error answer, not as events.
      if (closed || !w) void fetch(workflowLiveUrl(node.name, id)).then(async (r) => !r.ok && setError(((await r.json()) as { error: { message: string } }).error.message));
    },
  });
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  if (!w) {
    return (
      <div>
        <h1>Workflow {id}</h1>
        {error ? <ErrorLine message={error} /> : <p class="muted">Loading…</p>}
      </div>
    );
  }
  return (
    <div>
      <div class="page-head">
        <h1>
          {w.name} <StatusBadge status={w.status} />
        </h1>
        {!node.readOnly && !ENDED.has(w.status) && (
          <button
            type="button"
            class="btn danger"
            data-testid="stop"
            onClick={() => setConfirm({ title: 'Stop workflow?', text: 'Its running jobs are stopped and the jobs still waiting are canceled.', command: rnx(`workflow stop ${w.id}`), confirmLabel: 'Stop workflow', action: () => stopWorkflow(node.name, w.id) })}
          >
            Stop
          </button>
        )}
        {!node.readOnly && ENDED.has(w.status) && (
          <button
            type="button"
            class="btn ghost"
            data-testid="delete"
            onClick={() =>
              setConfirm({
                title: 'Delete workflow?',
                text: `The workflow and its ${w.totalJobs} job${w.totalJobs === 1 ? '' : 's'} are removed for good, with their logs.`,
                command: rnx(`workflow delete ${w.id}`),
                confirmLabel: 'Delete workflow',
                action: async () => {
                  await deleteWorkflow(node.name, w.id);
                  navigate(href(node.name, ['workflows']));
                },
              })
            }
          >
            Delete
          </button>
        )}
      </div>
      <ErrorLine message={error} />
      <Section title="Workflow">
        <Facts
          rows={[
            ['ID', <span class="mono">{w.id}</span>],
            ['File', `${w.file}${w.workflowName ? `:${w.workflowName}` : ''}`],
            ['Status', `${w.status}${w.message ? ` — ${w.message}` : ''}`],
            ['Progress', `${w.completedJobs}/${w.totalJobs} jobs completed${w.failedJobs ? `, ${w.failedJobs} failed` : ''}${w.runningJobs ? `, ${w.runningJobs} running` : ''}`],
            ['Created', localTime(w.createdTime)],
            [w.endTime ? 'Duration' : 'Running for', w.startTime ? duration(w.durationMs) : '—'],
            ...(w.description ? ([['Description', w.description]] as [string, string][]) : []),
          ]}
        />
      </Section>
      <Section title="Graph">
        <WorkflowGraph jobs={w.jobs} node={node.name} />
      </Section>
      <Section title="Jobs">
        <table class="table" data-testid="workflow-jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Status</th>
              <th>Waits for</th>
              <th>Started</th>
              <th>Exit</th>
            </tr>
          </thead>
          <tbody>
            {w.jobs.map((j) => (
              <tr key={j.name}>
                <td>{j.id ? <a href={href(node.name, ['jobs', j.id])}>{j.name}</a> : j.name}</td>
                <td>
                  <StatusBadge status={j.status} />
                  {j.failureReason && <div class="muted small">{j.failureReason}</div>}
                </td>
                <td class="small">{j.requirements.join(', ') || '—'}</td>
                <td>{localTime(j.startTime)}</td>
                <td>{j.exitCode ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {w.yaml && (
        <Section title="File">
          <pre class="yaml" data-testid="yaml">
            {w.yaml}
          </pre>
        </Section>
      )}
      <CommandBox command={rnx(`workflow status ${w.id}`)} label="From a shell" />
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}
