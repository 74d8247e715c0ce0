/** The bench's markdown: the summary with the goals, then one table per section. */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import type { Options, Results } from '../run';
import { medians } from './breakdown';
import { median, p95, stats } from './measure';
import { f1, loadAverage, machine, ratio, table } from './report';
import { mbps, medianMbps } from './transport';

/** The peers' command lines, for the footnote. */
export interface PeerCommands {
  bwrap: string[];
  unshare: string[];
  bwrapPresent: boolean;
}

/** Markdown for one run. */
export function render(opts: Options, r: Results, loadBefore: string, seconds: number, peers: PeerCommands): string {
  const version = spawnSync(opts.binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const bw = peers.bwrapPresent ? spawnSync('bwrap', ['--version'], { encoding: 'utf8' }).stdout.trim() : 'bwrap absent';
  const out: string[] = [`# joblet benchmark`, '', `${version}; ${bw}; node ${process.version}; ${new Date().toISOString()}; took ${seconds.toFixed(0)} s.`, '', `Machine: ${machine()}. Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}.`, ''];
  const summary: string[][] = [];
  const seq = r.start?.seq;
  const peerExit = (n: string) => (seq?.get(n) ? median(seq.get(n)!.map((s) => s.ms)) : undefined);
  const peerFirst = (n: string) => (seq?.get(n) ? median(seq.get(n)!.map((s) => s.firstMs!).filter((x) => x !== undefined)) : undefined);
  if (r.start) {
    const d = median(r.start.daemonMs);
    summary.push(['daemon-side start: RunJob → first output byte, median ms', f1(d), `${f1(peerFirst('bwrap'))} (whole launch ${f1(peerExit('bwrap'))})`, `${f1(peerFirst('unshare'))} (${f1(peerExit('unshare'))})`, `${f1(peerFirst('bare spawn'))} (${f1(peerExit('bare spawn'))})`, `≤ 1.0× bwrap's whole launch (0.8× stretch): ${ratio(d, peerExit('bwrap'))}`]);
  }
  if (r.rate) {
    const g = (n: string, k: 'one' | 'eight') => f1(r.rate!.get(n)?.[k]);
    summary.push(['jobs/s, 1 in flight', g('joblet', 'one'), g('bwrap', 'one'), g('unshare', 'one'), g('bare spawn', 'one'), '–']);
    summary.push(['jobs/s, 8 in flight', g('joblet', 'eight'), g('bwrap', 'eight'), g('unshare', 'eight'), g('bare spawn', 'eight'), `≥ 60: ${(r.rate.get('joblet')?.eight ?? 0) >= 60 ? 'met' : `${((r.rate.get('joblet')?.eight ?? 0) / 60 * 100).toFixed(0)}% of it`}`]);
  }
  if (r.cli) {
    const m = (n: string) => median(r.cli!.get(n)!.map((s) => s.ms));
    const node = m('node -e 0');
    summary.push(['CLI: `rnx run --wait --network=none echo hi`, median ms', f1(m('rnx run --wait --network=none echo hi')), '–', '–', '–', `node -e 0: ${f1(node)} ms; over it: ${f1(m('rnx run --wait --network=none echo hi') - node)} ms (goal ≤ 60 + daemon-side)`]);
  }
  if (r.output) {
    const o = r.output;
    const j = medianMbps(o.joblet);
    const fl = medianMbps(o.floor);
    const growth = Math.max(...o.joblet.map((x) => x.rssGrowthKb ?? 0)) / 1024;
    const lost = o.joblet.some((x) => x.bytes !== o.bytes || (x.notices?.length ?? 0) > 0);
    summary.push([`${o.bytes / 2 ** 30} GiB to a following client, MB/s`, f1(j), '–', '–', '–', `floor ${f1(fl)} MB/s: ${ratio(j, fl)} (goal ≥ 0.70×); RSS growth ≤ ${f1(growth)} MiB (≤ 64); ${lost ? 'BYTES LOST' : 'nothing lost'}`]);
  }
  if (r.scale) {
    const s = r.scale;
    summary.push([`${s.jobs} × sleep ${s.sleepSeconds} (network none)`, `${s.jobs - s.failed.length}/${s.jobs} completed`, '–', '–', '–', `peak ${s.peakRunning} running; daemon RSS ${f1(s.rssPeakKb / 1024)} MB (≤ 300); rnx list ${f1(s.cliListMs)} ms (< 1000)`]);
  }
  out.push('## Summary', '', table(['metric', 'joblet', 'bwrap', 'unshare', 'bare spawn', 'goal / reference'], summary), '');

  if (r.start) {
    const rows = [...r.start.seq].map(([name, s]) => {
      const dside = name === 'joblet' ? f1(median(r.start!.daemonMs)) : '–';
      return [name, dside, f1(stats(s, undefined, (x) => x.firstMs).median), f1(stats(s).median), f1(stats(s).p95), f1(name.startsWith('joblet') ? median(s.map((x) => x.replyMs!)) : undefined)];
    });
    out.push(`## Start latency: \`echo hi\`, ${opts.runs} rounds ${opts.gapMs} ms apart (+${opts.warmup} warm-up)`, '', 'joblet: a warm in-process gRPC client, network none (like the peers\' --unshare-net). Peers: spawned from the same process. "First byte" is when the caller received the first output byte; "end" is the end of the job\'s log stream (joblet) or the process\'s exit (peers).', '', table(['runner', 'daemon-side start ms', 'first byte ms', 'end ms (median)', 'end ms (p95)', 'RunJob reply ms'], rows), '');
    out.push(`Warm starts: ${r.start.warmShare} jobs took an init that was ready (the rest one still starting).`, '');
  }
  if (r.start || r.cold) {
    const warm = r.start ? new Map(medians(r.start.bd)) : new Map<string, number>();
    const cold = r.cold ? new Map(medians(r.cold.bd)) : new Map<string, number>();
    const steps = [...new Set([...warm.keys(), ...cold.keys()])];
    out.push('## Start-up breakdown (median ms per step; RunJob sent → the daemon saw the first output byte)', '', table(['step', 'warm pool', 'cold (warmPool: 0)'], steps.map((s) => [s, f1(warm.get(s)), f1(cold.get(s))])), '');
  }
  if (r.network) {
    out.push('## Start latency per network mode (median ms)', '', table(['network', 'daemon-side start', 'RunJob → end of log stream'], [...r.network].map(([m, v]) => [m, f1(median(v.daemonMs)), f1(median(v.e2e))])), '');
  }
  if (r.rate) {
    out.push(`## Throughput: ${opts.rateJobs} runs of \`echo hi\` each`, '', table(['runner', 'runs/s, 1 in flight', 'runs/s, 8 in flight'], [...r.rate].map(([n, v]) => [n, f1(v.one), f1(v.eight)])), '');
    if (r.rateCpu) {
      const c = r.rateCpu;
      const total = c.daemonMs + c.initsMs + c.clientMs;
      const cores = os.cpus().length;
      out.push(
        `CPU per joblet job, 8 in flight: daemon ${f1(c.daemonMs)} ms, init stage and job ${f1(c.initsMs)} ms, in-process client ${f1(c.clientMs)} ms; ` +
          `${f1(total)} ms in all, so ${cores} cores cannot exceed ${f1((cores * 1000) / total)} jobs/s at this cost (60 jobs/s needs ≤ ${f1((cores * 1000) / 60)} ms).`,
        '',
      );
    }
  }
  if (r.cli) {
    out.push('## End-to-end CLI (whole process, median and p95 ms)', '', table(['command', 'median', 'p95'], [...r.cli].map(([n, s]) => [`\`${n}\``, f1(median(s.map((x) => x.ms))), f1(p95(s.map((x) => x.ms)))])), '');
  }
  if (r.output) {
    const o = r.output;
    const rows = [
      ...o.floor.map((x, i) => [`transport floor, run ${i + 1}`, f1(mbps(x)), f1(x.ms), String(x.bytes), '–']),
      ...o.joblet.map((x, i) => [`joblet job → in-process client, run ${i + 1}`, f1(mbps(x)), f1(x.ms), String(x.bytes), `${f1((x.rssGrowthKb ?? 0) / 1024)} MiB RSS growth${x.notices?.length ? `; ${x.notices.join(' ')}` : ''}`]),
      ...(o.cli ? [[`\`rnx run --wait\` → pipe`, f1(mbps(o.cli)), f1(o.cli.ms), String(o.cli.bytes), o.cli.notices?.join(' ') || '–']] : []),
    ];
    out.push(`## Output: \`head -c ${o.bytes}\` to a following client`, '', table(['run', 'MB/s', 'ms', 'bytes received', 'notes'], rows), '');
  }
  if (r.scale) {
    const s = r.scale;
    out.push(
      `## Scale: ${s.jobs} × \`sleep ${s.sleepSeconds}\`, network none, 16 RunJob calls in flight`,
      '',
      table(
        ['measure', 'value'],
        [
          ['all submitted (RunJob answered)', `${f1(s.submitMs / 1000)} s`],
          ['all started (none INITIALIZING)', `${f1(s.allStartedMs / 1000)} s`],
          ['most running at once', String(s.peakRunning)],
          ['daemon RSS before → peak', `${f1(s.rssBeforeKb / 1024)} → ${f1(s.rssPeakKb / 1024)} MB`],
          ['`rnx list` at peak (whole CLI process) / ListJobs call', `${f1(s.cliListMs)} / ${f1(s.listJobsMs)} ms`],
          ['completed with exit code 0', `${s.jobs - s.failed.length} of ${s.jobs}${s.failed.length ? ` (first failure: ${s.failed[0]})` : ''}`],
          ['first RunJob → last job ended', `${f1(s.totalMs / 1000)} s`],
        ],
      ),
      '',
    );
  }
  out.push(`bwrap: \`${peers.bwrap.join(' ')}\``, '', `unshare: \`${peers.unshare.join(' ')}\``, '');
  return out.join('\n');
}

