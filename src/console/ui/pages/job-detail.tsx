/**
 * One job: what it runs and with what, its limits and what it used, its state times, its output
 * live (stdout and stderr told apart) with downloads — from the job's live stream — and charts of
 * its CPU, memory and I/O from the per-job metrics. A scheduled job can be canceled.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { JobView, LogEvent } from '../../shared/types';
import { cancelJob, deleteJob, getJob, jobLiveUrl, logDownloadUrl, stopJob } from '../api/jobs';
import { CommandBox, ErrorLine, Facts, Section, StatusBadge } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { JobCharts } from '../components/job-charts';
import { LogSink, LogView } from '../components/log-view';
import { ACTIVE, CANCELABLE, duration, durationSpec, localTime, size } from '../format';
import { useLive } from '../live';
import { href, navigate } from '../router';
import { useApp } from '../state';

/** The job page. */
export function JobDetailPage({ id }: { id: string }) {
  const { node, features } = useApp();
  const [job, setJob] = useState<JobView | undefined>();
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [found, setFound] = useState(false);
  const sink = useMemo(() => new LogSink(), [id, node.name]);
  // Asked once by itself first, so that an unknown job shows the server's own message.
  useEffect(() => {
    setFound(false);
    setJob(undefined);
    setDone(false);
    getJob(node.name, id).then(
      (j) => {
        setJob(j);
        setFound(true);
      },
      (err: Error) => setError(err.message),
    );
  }, [id, node.name]);
  useLive(found ? jobLiveUrl(node.name, id) : undefined, {
    job: (j: JobView) => {
      setJob(j);
      setError('');
    },
    log: (events: LogEvent[]) => sink.append(events),
    failure: (f: { message: string }) => setError(f.message),
    end: () => setDone(true),
    onError: (closed) => {
      if (closed) setError('the live connection to the console was closed; reload the page');
    },
  });
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  if (!job) {
    return (
      <div>
        <h1>Job {id}</h1>
        {error ? <ErrorLine message={error} /> : <p class="muted">Loading…</p>}
      </div>
    );
  }
  const active = ACTIVE.has(job.status);
  const l = job.limits;
  const limits: [string, string][] = [
    ['CPU', l.cpuPercent ? `${l.cpuPercent}% of one core` : 'not limited'],
    ['Cores', l.cpuCores || 'any'],
    ['Memory', l.memoryBytes ? size(l.memoryBytes) : 'not limited'],
    ['Processes', l.pids ? String(l.pids) : 'not limited'],
    ['Disk (/work)', l.diskBytes ? size(l.diskBytes) : 'not limited'],
    ['I/O', l.ioBps ? `${l.ioBps} bytes/s` : 'not limited'],
    ['Timeout', l.timeoutMs ? durationSpec(l.timeoutMs) : 'none'],
  ];
  const env = Object.entries(job.environment);
  return (
    <div>
      <div class="page-head">
        <h1>
          Job <span class="mono">{job.id}</span> <StatusBadge status={job.status} />
        </h1>
        <div class="row">
          {!node.readOnly && CANCELABLE.has(job.status) && (
            <button
              type="button"
              class="btn danger"
              data-testid="cancel"
              onClick={() => setConfirm({ title: 'Cancel scheduled job?', text: job.status === 'PENDING' ? 'The job waits for other jobs of its workflow; it becomes CANCELED and never runs.' : `The job is due ${localTime(job.scheduledTime)}; it becomes CANCELED and never runs.`, command: rnx(`cancel ${job.id}`), confirmLabel: 'Cancel job', action: () => cancelJob(node.name, job.id) })}
            >
              Cancel job
            </button>
          )}
          {!node.readOnly && active && !CANCELABLE.has(job.status) && (
            <button
              type="button"
              class="btn danger"
              data-testid="stop"
              onClick={() => setConfirm({ title: 'Stop job?', text: "SIGTERM, then SIGKILL after the server's grace period, to every process of the job.", command: rnx(`stop ${job.id}`), confirmLabel: 'Stop job', action: () => stopJob(node.name, job.id) })}
            >
              Stop
            </button>
          )}
          {!node.readOnly && !active && (
            <button
              type="button"
              class="btn ghost"
              data-testid="delete"
              onClick={() =>
                setConfirm({
                  title: 'Delete job?',
                  text: 'The job and its logs are removed for good.',
                  command: rnx(`delete ${job.id}`),
                  confirmLabel: 'Delete job',
                  action: async () => {
                    await deleteJob(node.name, job.id);
                    navigate(href(node.name, ['jobs']));
                  },
                })
              }
            >
              Delete
            </button>
          )}
        </div>
      </div>
      <ErrorLine message={error} />
      <div class="grid2">
        <Section title="Run">
          <Facts
            rows={[
              ['Command', <code>{[job.command, ...job.args].map(shellQuote).join(' ')}</code>],
              ['Status', job.status],
              ['Exit code', job.exitCode === null ? '—' : String(job.exitCode)],
              ...(job.signal ? ([['Signal', job.signal]] as [string, string][]) : []),
              ...(job.failureReason ? ([[job.status === 'STOPPED' ? 'Reason' : 'Failure', job.failureReason]] as [string, string][]) : []),
              ['Owner', job.owner || '—'],
              ['Created', localTime(job.createdTime)],
              ['Started', job.startTime ? localTime(job.startTime) : 'not yet'],
              ['Ended', job.endTime ? localTime(job.endTime) : '—'],
              [job.endTime ? 'Duration' : 'Running for', job.durationMs || job.endTime ? duration(job.durationMs) : '—'],
            ]}
          />
        </Section>
        <Section title="Spec">
          <Facts
            rows={[
              ['Work dir', job.workDir || '/work'],
              ['Network', job.network || '—'],
              ['Runtime', job.runtime || 'host /usr (none)'],
              ['Volumes', job.volumes?.length ? job.volumes.map((v) => `${v} → /volumes/${v}`).join(', ') : 'none'],
              ['Uploads', job.uploads.length ? job.uploads.join(', ') : 'none'],
              ['Environment', env.length ? <code>{env.map(([k, v]) => `${k}=${v}`).join(' ')}</code> : 'none'],
            ]}
          />
        </Section>
        <Section title="Limits">
          <Facts rows={limits} />
        </Section>
        {job.history.length > 0 && (
          <Section title="States">
            <ol class="states" data-testid="states">
              {job.history.map((h, i) => {
                const next = job.history[i + 1];
                const ms = next ? Date.parse(next.time) - Date.parse(h.time) : 0;
                return (
                  <li key={`${h.status}-${h.time}`}>
                    <StatusBadge status={h.status} /> <span class="muted">{localTime(h.time)}</span>
                    {next && ms >= 0 && <span class="muted small"> · {duration(ms)}</span>}
                  </li>
                );
              })}
            </ol>
          </Section>
        )}
        <Section title="Usage">
          <Facts
            rows={[
              ['CPU time', `${job.usage.cpuSeconds.toFixed(2)}s`],
              ['Peak memory', job.usage.memoryPeakBytes ? size(job.usage.memoryPeakBytes) : 'unknown'],
              ['OOM kills', String(job.usage.oomKills)],
            ]}
          />
          {features && !features.jobMetrics.available && <p class="muted small">Charts of CPU, memory and I/O over time need per-job metrics, which this server does not offer: {features.jobMetrics.message}</p>}
        </Section>
      </div>
      {features?.jobMetrics.available && job.status !== 'SCHEDULED' && job.status !== 'CANCELED' && (
        <Section title="Metrics">
          <JobCharts node={node.name} id={job.id} />
        </Section>
      )}
      <Section
        title="Output"
        actions={
          <div class="row">
            <a class="btn small ghost" href={logDownloadUrl(node.name, job.id)} download data-testid="download">
              Download log
            </a>
            <a class="btn small ghost" href={logDownloadUrl(node.name, job.id, 'stdout')} download>
              stdout
            </a>
            <a class="btn small ghost" href={logDownloadUrl(node.name, job.id, 'stderr')} download>
              stderr
            </a>
          </div>
        }
      >
        {job.outputTruncated && <p class="muted small">The server cut this job's stored output at its size cap.</p>}
        <LogView sink={sink} done={done} />
      </Section>
      <CommandBox command={`${rnx(`status ${job.id}`)}; ${rnx(`log ${job.id}`)}`} label="From a shell" />
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}
