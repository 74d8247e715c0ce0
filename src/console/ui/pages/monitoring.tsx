/**
 * Monitoring: the host's CPU, memory, disk I/O and network over the last minutes, live from the
 * server's own sample stream, with disk usage and the busiest processes of the latest sample.
 */
import { useState } from 'preact/hooks';
import type { HostSample, HostView, ProcessView } from '../../shared/types';
import { monitoringLiveUrl } from '../api/monitoring';
import { ErrorLine, Facts, Section } from '../components/bits';
import { TimeChart, appendPoint, emptyData, type ChartData } from '../components/chart';
import { pct, rate, size, uptime } from '../format';
import { useLive } from '../live';
import { useApp } from '../state';

/** Seconds between samples, and how many are kept (ten minutes). */
const INTERVAL_S = 2;
const KEEP = 300;

interface Series {
  cpu: ChartData;
  mem: ChartData;
  io: ChartData;
  net: ChartData;
}

const EMPTY: Series = { cpu: emptyData(1), mem: emptyData(1), io: emptyData(2), net: emptyData(2) };

/** The monitoring page. */
export function MonitoringPage() {
  const { node } = useApp();
  const [host, setHost] = useState<HostView | undefined>();
  const [latest, setLatest] = useState<HostSample | undefined>();
  const [series, setSeries] = useState<Series>(EMPTY);
  const [error, setError] = useState('');
  useLive(monitoringLiveUrl(node.name, INTERVAL_S), {
    host: (h: HostView) => setHost(h),
    sample: (s: HostSample) => {
      setLatest(s);
      setError('');
      setSeries((p) => ({
        cpu: appendPoint(p.cpu, s.t, [s.cpuPercent], KEEP),
        mem: appendPoint(p.mem, s.t, [s.memUsedBytes], KEEP),
        io: appendPoint(p.io, s.t, [s.ioReadRate, s.ioWriteRate], KEEP),
        net: appendPoint(p.net, s.t, [s.netRxRate, s.netTxRate], KEEP),
      }));
    },
    failure: (f: { message: string }) => setError(f.message),
    onError: (closed) => setError(closed ? 'the live connection to the console was closed; reload the page' : 'lost the connection to the console; retrying…'),
  });
  return (
    <div>
      <div class="page-head">
        <h1>Monitoring</h1>
        {latest && <span class="muted small">A sample every {INTERVAL_S} s · last {new Date(latest.t).toLocaleTimeString()}</span>}
      </div>
      <ErrorLine message={error} />
      {host && (
        <Section title={`Host ${host.hostname}`}>
          <Facts
            rows={[
              ['System', `${host.os} · kernel ${host.kernel} · ${host.arch}`],
              ['CPUs / memory', `${host.cpuCount} cores · ${size(host.totalMemoryBytes)}`],
              ['Up for', uptime(host.uptimeSeconds)],
              ...(latest ? ([['Load', latest.load.map((l) => l.toFixed(2)).join('  ')], ['Processes', `${latest.processes.total} (${latest.processes.running} running), ${latest.processes.threads} threads`]] as [string, string][]) : []),
              ...(host.version ? ([['Server', `joblet ${host.version}`]] as [string, string][]) : []),
            ]}
          />
        </Section>
      )}
      {!latest && !error && <p class="muted">Waiting for the first sample…</p>}
      <div class="grid2">
        <Section title={`CPU${latest ? ` · ${pct(latest.cpuPercent)}` : ''}`}>
          <TimeChart id="cpu" title="Busy, all cores" series={[{ label: 'CPU', color: '#0969da' }]} data={series.cpu} format={pct} max={100} />
        </Section>
        <Section title={`Memory${latest ? ` · ${size(latest.memUsedBytes)} of ${size(latest.memTotalBytes)}` : ''}`}>
          <TimeChart id="memory" title="Used" series={[{ label: 'Used', color: '#8250df' }]} data={series.mem} format={size} max={latest?.memTotalBytes} />
        </Section>
        <Section title="Disk I/O">
          <TimeChart id="disk" title="All disks" series={[{ label: 'Read', color: '#1a7f37' }, { label: 'Write', color: '#bf8700' }]} data={series.io} format={rate} floor={1024} />
        </Section>
        <Section title="Network">
          <TimeChart id="network" title="The host's own interfaces" series={[{ label: 'Received', color: '#0969da' }, { label: 'Sent', color: '#cf222e' }]} data={series.net} format={rate} floor={1024} />
        </Section>
      </div>
      {latest && (
        <>
          <Section title="Disk usage">
            <table class="table" data-testid="disks">
              <thead>
                <tr>
                  <th>Mount</th>
                  <th>Device</th>
                  <th>Used</th>
                  <th>Size</th>
                  <th class="bar-col">Use</th>
                </tr>
              </thead>
              <tbody>
                {latest.disks.map((d) => (
                  <tr key={d.mount}>
                    <td class="mono">{d.mount}</td>
                    <td class="mono">{d.device}</td>
                    <td>{size(d.usedBytes)}</td>
                    <td>{size(d.totalBytes)}</td>
                    <td class="bar-col">
                      <meter min={0} max={100} low={80} high={90} optimum={0} value={d.percent} /> {pct(d.percent)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <div class="grid2">
            <Section title="Top processes by CPU">
              <ProcessTable list={latest.topByCpu} testid="top-cpu" />
            </Section>
            <Section title="Top processes by memory">
              <ProcessTable list={latest.topByMemory} testid="top-memory" />
            </Section>
          </div>
        </>
      )}
    </div>
  );
}

function ProcessTable({ list, testid }: { list: ProcessView[]; testid: string }) {
  return (
    <table class="table" data-testid={testid}>
      <thead>
        <tr>
          <th>PID</th>
          <th>Name</th>
          <th>CPU</th>
          <th>Memory</th>
        </tr>
      </thead>
      <tbody>
        {list.map((p) => (
          <tr key={p.pid} data-pid={p.pid}>
            <td class="mono">{p.pid}</td>
            <td class="cmd" title={p.command}>
              {p.name}
            </td>
            <td>{pct(p.cpuPercent)}</td>
            <td>{size(p.memoryBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
