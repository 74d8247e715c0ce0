/**
 * A job's CPU, memory and disk I/O over its life: the stored samples first, then each new one
 * while it runs (one event stream). I/O is shown as a rate: the server counts bytes since the job
 * started, so each point is the difference to the sample before over the time between them.
 */
import { useMemo, useState } from 'preact/hooks';
import type { JobSampleView } from '../../shared/types';
import { jobMetricsLiveUrl } from '../api/monitoring';
import { ErrorLine } from './bits';
import { TimeChart, type ChartData } from './chart';
import { pct, rate, size } from '../format';
import { useLive } from '../live';

/** Most samples kept on the page. */
const KEEP = 2000;

function toData(samples: JobSampleView[]): { cpu: ChartData; mem: ChartData; io: ChartData } {
  const t = samples.map((s) => Date.parse(s.time));
  const io: [number[], number[]] = [[], []];
  samples.forEach((s, i) => {
    const prev = samples[i - 1];
    const dt = prev ? (t[i]! - t[i - 1]!) / 1000 : 0;
    io[0].push(prev && dt > 0 ? Math.max(0, s.diskReadBytes - prev.diskReadBytes) / dt : 0);
    io[1].push(prev && dt > 0 ? Math.max(0, s.diskWriteBytes - prev.diskWriteBytes) / dt : 0);
  });
  return { cpu: [t, samples.map((s) => s.cpuPercent)], mem: [t, samples.map((s) => s.memoryBytes)], io: [t, io[0], io[1]] };
}

/** The charts of job `id` on `node`. */
export function JobCharts({ node, id }: { node: string; id: string }) {
  const [samples, setSamples] = useState<JobSampleView[] | undefined>();
  const [error, setError] = useState('');
  useLive(jobMetricsLiveUrl(node, id), {
    history: (h: JobSampleView[]) => setSamples(h),
    sample: (s: JobSampleView) => setSamples((p) => [...(p ?? []), s].slice(-KEEP)),
    failure: (f: { message: string }) => setError(f.message),
  });
  const data = useMemo(() => toData(samples ?? []), [samples]);
  const limit = samples?.[samples.length - 1]?.memoryLimitBytes ?? 0;
  if (!samples) return <p class="muted">Loading metrics…</p>;
  return (
    <div class="job-charts" data-testid="job-charts" data-samples={samples.length}>
      <ErrorLine message={error} />
      {samples.length === 0 && <p class="muted small">No samples yet: the server samples a running job every few seconds.</p>}
      <div class="grid3">
        <TimeChart id="job-cpu" title="CPU (100% = one core)" series={[{ label: 'CPU', color: '#0969da' }]} data={data.cpu} format={pct} />
        <TimeChart id="job-memory" title={`Memory${limit ? ` (limit ${size(limit)})` : ''}`} series={[{ label: 'Memory', color: '#8250df' }]} data={data.mem} format={size} floor={1024 ** 2} />
        <TimeChart id="job-io" title="Disk I/O" series={[{ label: 'Read', color: '#1a7f37' }, { label: 'Write', color: '#bf8700' }]} data={data.io} format={rate} floor={1024} />
      </div>
    </div>
  );
}
