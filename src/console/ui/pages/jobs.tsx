/**
 * Jobs: counts per status, a filter (status, text), pages, and each job's status kept live by the
 * jobs stream. Stop and delete ask first and show the rnx command that does the same.
 */
import { useEffect, useState } from 'preact/hooks';
import { PAGE_SIZES, STATUS_CHOICES, jobsQueryString, parseJobsQuery, type JobsQuery } from '../../shared/jobs-query';
import { shellQuote } from '../../shared/run-spec';
import type { JobPage, JobView } from '../../shared/types';
import { deleteFinished, deleteJob, jobsFeedUrl, stopJob } from '../api/jobs';
import { CommandBox, ErrorLine, StatusBadge } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { ACTIVE, duration, localTime, shortId } from '../format';
import { useLive } from '../live';
import { href, replaceHash, type Place } from '../router';
import { useApp } from '../state';

/** The jobs list. */
export function JobsPage({ place }: { place: Place }) {
  const { node } = useApp();
  const query = parseJobsQuery(place.query);
  const qs = jobsQueryString(query);
  const [page, setPage] = useState<JobPage | undefined>();
  const [stale, setStale] = useState('');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  useLive(jobsFeedUrl(node.name, qs), {
    page: (p: JobPage) => {
      setPage(p);
      setStale('');
    },
    failure: (f: { message: string }) => setStale(f.message),
    onError: () => setStale('lost the connection to the console; retrying…'),
  });
  const go = (q: Partial<JobsQuery>) => replaceHash(href(node.name, ['jobs'], jobsQueryString({ ...query, offset: 0, ...q })));
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  const askStop = (j: JobView) =>
    setConfirm({ title: 'Stop job?', text: `Job ${j.id} (${[j.command, ...j.args].join(' ')}) gets SIGTERM, then SIGKILL after the server's grace period.`, command: rnx(`stop ${j.id}`), confirmLabel: 'Stop job', action: () => stopJob(node.name, j.id) });
  const askDelete = (j: JobView) =>
    setConfirm({ title: 'Delete job?', text: `Job ${j.id} and its logs are removed for good.`, command: rnx(`delete ${j.id}`), confirmLabel: 'Delete job', action: () => deleteJob(node.name, j.id) });
  const askDeleteAll = () =>
    setConfirm({ title: 'Delete every finished job?', text: 'Every job that has ended is removed with its logs; running jobs stay.', command: rnx('delete --all'), confirmLabel: 'Delete finished jobs', action: () => deleteFinished(node.name) });

  const counts = page?.counts ?? {};
  const all = Object.values(counts).reduce((a, b) => a + b, 0);
  const chip = (label: string, status: string[], n: number) => {
    const on = status.join(',') === query.status.join(',');
    return (
      <button type="button" class={`chip${on ? ' on' : ''}`} onClick={() => go({ status })} aria-pressed={on}>
        {label} <b>{n}</b>
      </button>
    );
  };
  return (
    <div>
      <div class="page-head">
        <h1>Jobs</h1>
        {!node.readOnly && (
          <div class="row">
            <a class="btn primary" href={href(node.name, ['run'])}>
              Run a job
            </a>
            <button type="button" class="btn ghost" onClick={askDeleteAll} data-testid="delete-finished">
              Delete finished
            </button>
          </div>
        )}
      </div>
      <div class="chips">
        {chip('All', [], all)}
        {chip('Running', ['ACTIVE'], (counts.RUNNING ?? 0) + (counts.INITIALIZING ?? 0))}
        {chip('Completed', ['COMPLETED'], counts.COMPLETED ?? 0)}
        {chip('Failed', ['FAILED'], counts.FAILED ?? 0)}
        {chip('Stopped', ['STOPPED'], counts.STOPPED ?? 0)}
      </div>
      <div class="filters">
        <FilterInput value={query.q} onChange={(q) => go({ q })} />
        <select value={query.status.length === 1 ? query.status[0] : ''} onChange={(e) => go({ status: e.currentTarget.value ? [e.currentTarget.value] : [] })} aria-label="Status">
          <option value="">Any status</option>
          {STATUS_CHOICES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ErrorLine message={stale} />
      {!page ? (
        <p class="muted">Loading jobs…</p>
      ) : page.total === 0 ? (
        <div class="empty">
          <p>{all === 0 ? 'No jobs on this node yet.' : 'No job matches the filter.'}</p>
          {all === 0 && <CommandBox command={rnx('run echo hello')} label="Start one with" />}
        </div>
      ) : (
        <JobTable jobs={page.jobs} node={node.name} readOnly={node.readOnly} onStop={askStop} onDelete={askDelete} />
      )}
      {page && page.total > 0 && <Pager page={page} onPage={(offset, limit) => go({ offset, limit })} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

function JobTable({ jobs, node, readOnly, onStop, onDelete }: { jobs: JobView[]; node: string; readOnly: boolean; onStop: (j: JobView) => void; onDelete: (j: JobView) => void }) {
  return (
    <table class="table" data-testid="jobs">
      <thead>
        <tr>
          <th>ID</th>
          <th>Status</th>
          <th>Command</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Exit</th>
          {!readOnly && <th class="actions">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id} data-job={j.id}>
            <td>
              <a class="mono" href={href(node, ['jobs', j.id])} title={j.id}>
                {shortId(j.id)}
              </a>
            </td>
            <td>
              <StatusBadge status={j.status} />
            </td>
            <td class="cmd" title={[j.command, ...j.args].join(' ')}>
              {[j.command, ...j.args].map(shellQuote).join(' ')}
            </td>
            <td>{localTime(j.startTime)}</td>
            <td>{j.durationMs || j.endTime ? duration(j.durationMs) : '—'}</td>
            <td>{j.exitCode ?? '—'}</td>
            {!readOnly && (
              <td class="actions">
                {ACTIVE.has(j.status) ? (
                  <button type="button" class="btn small danger-ghost" onClick={() => onStop(j)} data-testid="stop">
                    Stop
                  </button>
                ) : (
                  <button type="button" class="btn small ghost" onClick={() => onDelete(j)} data-testid="delete">
                    Delete
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Pager({ page, onPage }: { page: JobPage; onPage: (offset: number, limit: number) => void }) {
  const last = page.offset + page.jobs.length;
  return (
    <div class="pager">
      <span class="muted">
        Showing {page.offset + 1}–{last} of {page.total}
      </span>
      <select value={String(page.limit)} onChange={(e) => onPage(0, Number(e.currentTarget.value))} aria-label="Jobs per page">
        {PAGE_SIZES.map((n) => (
          <option key={n} value={String(n)}>
            {n} per page
          </option>
        ))}
      </select>
      <button type="button" class="btn small ghost" disabled={page.offset === 0} onClick={() => onPage(Math.max(0, page.offset - page.limit), page.limit)}>
        Previous
      </button>
      <button type="button" class="btn small ghost" disabled={last >= page.total} onClick={() => onPage(page.offset + page.limit, page.limit)}>
        Next
      </button>
    </div>
  );
}

/** The text filter; the address (and with it the live stream) follows once typing pauses. */
function FilterInput({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text.trim() === value) return;
    const t = setTimeout(() => onChange(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]);
  return <input type="search" placeholder="Filter by id, command or owner" value={text} onInput={(e) => setText(e.currentTarget.value)} aria-label="Filter" data-testid="filter" />;
}
