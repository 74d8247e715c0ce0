/**
 * Jobs: a status filter and pages, both done by the server (the browser never loads the whole
 * list), a text filter over the page shown, and each job's status kept live by the jobs stream.
 * Stop, cancel and delete ask first and show the rnx command that does the same.
 */
import { useEffect, useState } from 'preact/hooks';
import { PAGE_SIZES, STATUS_FILTERS, jobsPageQueryString, parseJobsPageQuery, type JobsPageQuery, type JobsPageView } from '../../shared/jobs-paging';
import { shellQuote } from '../../shared/run-spec';
import type { JobView } from '../../shared/types';
import { cancelJob, deleteFinished, deleteJob, jobsFeedUrl, stopJob } from '../api/jobs';
import { CommandBox, ErrorLine, StatusBadge } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { ACTIVE, CANCELABLE, duration, localTime, shortId } from '../format';
import { useLive } from '../live';
import { href, replaceHash, type Place } from '../router';
import { useApp } from '../state';

/** The jobs list. */
export function JobsPage({ place }: { place: Place }) {
  const { node } = useApp();
  const query = parseJobsPageQuery(place.query);
  const qs = jobsPageQueryString(query);
  const [page, setPage] = useState<JobsPageView | undefined>();
  // Tokens of the newer pages passed on the way here, so "Newer" can go back (the server pages one way).
  const [newer, setNewer] = useState<string[]>([]);
  const [stale, setStale] = useState('');
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  useLive(jobsFeedUrl(node.name, qs), {
    page: (p: JobsPageView) => {
      setPage(p);
      setStale('');
    },
    failure: (f: { message: string }) => setStale(f.message),
    onError: () => setStale('lost the connection to the console; retrying…'),
  });
  const go = (q: Partial<JobsPageQuery>, keepPages = false) => {
    if (!keepPages) setNewer([]);
    replaceHash(href(node.name, ['jobs'], jobsPageQueryString({ ...query, before: '', ...q })));
  };
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  const askStop = (j: JobView) =>
    setConfirm({ title: 'Stop job?', text: `Job ${j.id} (${[j.command, ...j.args].join(' ')}) gets SIGTERM, then SIGKILL after the server's grace period.`, command: rnx(`stop ${j.id}`), confirmLabel: 'Stop job', action: () => stopJob(node.name, j.id) });
  const askCancel = (j: JobView) =>
    setConfirm({ title: 'Cancel scheduled job?', text: `Job ${j.id} (${[j.command, ...j.args].join(' ')}) becomes CANCELED and never runs.`, command: rnx(`cancel ${j.id}`), confirmLabel: 'Cancel job', action: () => cancelJob(node.name, j.id) });
  const askDelete = (j: JobView) =>
    setConfirm({ title: 'Delete job?', text: `Job ${j.id} and its logs are removed for good.`, command: rnx(`delete ${j.id}`), confirmLabel: 'Delete job', action: () => deleteJob(node.name, j.id) });
  const askDeleteAll = () =>
    setConfirm({ title: 'Delete every finished job?', text: 'Every job that has ended is removed with its logs; running jobs stay.', command: rnx('delete --all'), confirmLabel: 'Delete finished jobs', action: () => deleteFinished(node.name) });

  const chip = (label: string, status: string[]) => {
    const on = status.join(',') === query.status.join(',');
    return (
      <button type="button" key={label} class={`chip${on ? ' on' : ''}`} onClick={() => go({ status })} aria-pressed={on}>
        {label}
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
      <div class="chips" data-testid="status-chips">{STATUS_FILTERS.map((f) => chip(f.label, f.status))}</div>
      <div class="filters">
        <FilterInput value={query.q} onChange={(q) => go({ q }, true)} />
      </div>
      <ErrorLine message={stale} />
      {!page ? (
        <p class="muted">Loading jobs…</p>
      ) : page.jobs.length === 0 ? (
        <div class="empty">
          <p>{page.fetched > 0 ? 'No job on this page matches the filter.' : query.status.length || query.before ? 'No job matches.' : 'No jobs on this node yet.'}</p>
          {page.fetched === 0 && !query.status.length && !query.before && <CommandBox command={rnx('run echo hello')} label="Start one with" />}
        </div>
      ) : (
        <JobTable jobs={page.jobs} node={node.name} readOnly={node.readOnly} onStop={askStop} onCancel={askCancel} onDelete={askDelete} />
      )}
      {page && (page.fetched > 0 || query.before) && (
        <Pager
          page={page}
          hasNewer={!!query.before}
          onLimit={(limit) => go({ limit })}
          onOlder={() => {
            setNewer((n) => [...n, query.before]);
            go({ before: page.next }, true);
          }}
          onNewer={() => {
            const prev = newer[newer.length - 1] ?? '';
            setNewer((n) => n.slice(0, -1));
            go({ before: prev }, true);
          }}
        />
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

function JobTable({ jobs, node, readOnly, onStop, onCancel, onDelete }: { jobs: JobView[]; node: string; readOnly: boolean; onStop: (j: JobView) => void; onCancel: (j: JobView) => void; onDelete: (j: JobView) => void }) {
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
                {CANCELABLE.has(j.status) ? (
                  <button type="button" class="btn small danger-ghost" onClick={() => onCancel(j)} data-testid="cancel">
                    Cancel
                  </button>
                ) : ACTIVE.has(j.status) ? (
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

function Pager({ page, hasNewer, onLimit, onOlder, onNewer }: { page: JobsPageView; hasNewer: boolean; onLimit: (limit: number) => void; onOlder: () => void; onNewer: () => void }) {
  return (
    <div class="pager" data-testid="pager">
      <span class="muted">
        {page.fetched} job{page.fetched === 1 ? '' : 's'} on this page{page.next ? ', older ones on the next' : ''}
      </span>
      <select value={String(page.limit)} onChange={(e) => onLimit(Number(e.currentTarget.value))} aria-label="Jobs per page">
        {PAGE_SIZES.map((n) => (
          <option key={n} value={String(n)}>
            {n} per page
          </option>
        ))}
      </select>
      <button type="button" class="btn small ghost" disabled={!hasNewer} onClick={onNewer} data-testid="newer">
        Newer
      </button>
      <button type="button" class="btn small ghost" disabled={!page.next} onClick={onOlder} data-testid="older">
        Older
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
  return <input type="search" placeholder="Filter this page by id, command or owner" value={text} onInput={(e) => setText(e.currentTarget.value)} aria-label="Filter" data-testid="filter" />;
}
