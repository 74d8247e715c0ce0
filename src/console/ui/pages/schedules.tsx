/**
 * Schedules: every recurring schedule of the node — what it starts, when, how it went — with
 * pause, resume and remove (remove asks first). Refreshed every few seconds.
 */
import { useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { ScheduleView } from '../../shared/types';
import { listSchedules, removeSchedule, setPaused } from '../api/schedules';
import { CommandBox, ErrorLine, StatusBadge } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { localTime } from '../format';
import { usePolled } from '../polled';
import { href } from '../router';
import { useApp } from '../state';

/** The schedules page. */
export function SchedulesPage() {
  const { node } = useApp();
  const { value, error, reload } = usePolled(() => listSchedules(node.name), [node.name]);
  const [actionError, setActionError] = useState('');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  const ref = (s: ScheduleView) => s.name || s.id;
  const toggle = async (s: ScheduleView) => {
    setActionError('');
    try {
      await setPaused(node.name, s.id, !s.paused);
      reload();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };
  const askRemove = (s: ScheduleView) =>
    setConfirm({
      title: 'Remove schedule?',
      text: `Schedule ${ref(s)} (${s.cron}) stops firing for good; jobs it already started keep running.`,
      command: rnx(`schedule remove ${shellQuote(ref(s))}`),
      confirmLabel: 'Remove schedule',
      action: async () => {
        await removeSchedule(node.name, s.id);
        reload();
      },
    });
  return (
    <div>
      <div class="page-head">
        <h1>Schedules</h1>
        {!node.readOnly && (
          <a class="btn primary" href={href(node.name, ['run'])}>
            New schedule
          </a>
        )}
      </div>
      <ErrorLine message={error || actionError} />
      {!value ? (
        !error && <p class="muted">Loading schedules…</p>
      ) : value.length === 0 ? (
        <div class="empty">
          <p>No recurring schedules on this node. The run form makes one when given a cron expression.</p>
          <CommandBox command={rnx("run --cron='*/5 * * * *' --name=report sh -c 'date'")} label="Or" />
        </div>
      ) : (
        <table class="table" data-testid="schedules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Runs</th>
              <th>When</th>
              <th>Next</th>
              <th>Last</th>
              <th>Counts</th>
              {!node.readOnly && <th class="actions">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {value.map((s) => (
              <tr key={s.id} data-schedule={s.name || s.id} data-paused={String(s.paused)}>
                <td>
                  <b>{s.name || '—'}</b>
                  <div class="mono muted small" title={s.id}>
                    {s.id.slice(0, 8)}
                  </div>
                </td>
                <td class="cmd" title={s.kind === 'workflow' ? s.workflow : [s.command, ...s.args].join(' ')}>
                  {s.kind === 'workflow' ? `workflow ${s.workflow}` : [s.command, ...s.args].map(shellQuote).join(' ')}
                </td>
                <td>
                  <code>{s.cron}</code>
                  <div class="muted small">
                    {s.timezone || 'server time'} · {s.concurrency || 'allow'}
                  </div>
                </td>
                <td>{s.paused ? <span class="badge st-stopped">PAUSED</span> : localTime(s.nextRunTime)}</td>
                <td>
                  {s.lastRunTime ? localTime(s.lastRunTime) : 'never'}
                  {s.lastJobId && (
                    <div>
                      <a class="mono small" href={href(node.name, ['jobs', s.lastJobId])}>
                        {s.lastJobId.slice(0, 8)}
                      </a>{' '}
                      {s.lastStatus && <StatusBadge status={s.lastStatus} />}
                    </div>
                  )}
                </td>
                <td class="small" title={s.events.map((e) => `${localTime(e.time)} ${e.message}`).join('\n')}>
                  {s.runs} run{s.runs === 1 ? '' : 's'}
                  {s.skipped ? `, ${s.skipped} skipped` : ''}
                  {s.missed ? `, ${s.missed} missed` : ''}
                </td>
                {!node.readOnly && (
                  <td class="actions">
                    <button type="button" class="btn small ghost" onClick={() => void toggle(s)} data-testid={s.paused ? 'resume' : 'pause'}>
                      {s.paused ? 'Resume' : 'Pause'}
                    </button>{' '}
                    <button type="button" class="btn small danger-ghost" onClick={() => askRemove(s)} data-testid="remove">
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}
