/**
 * `rnx job metrics ID [--follow]`: a job's metrics samples as a table with a summary (average and
 * peak CPU, peak memory against the limit, IO and network totals). --follow keeps printing new
 * samples until the job ends. --json prints one JSON object per sample and line.
 */
import { isAbortError } from 'abort-controller-x';
import type { JobMetricsEvent } from '../../gen/joblet';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { SAMPLE_HEADER, sampleJson, sampleRow, summarize, summaryLines, type SampleJson } from '../metrics-format';

// Fixed column widths: rows are printed as they arrive, before the widest is known.
const WIDTHS = [9, 7, 10, 10, 10, 10, 11, 10, 10, 6, 9];

function fixed(cells: string[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(WIDTHS[i] ?? 10))).join(' ').trimEnd();
}

/** Print a job's metrics. */
export class JobMetricsCommand extends ClientCommand {
  static override paths = [['job', 'metrics']];
  static override usage = ClientCommand.Usage({
    category: 'Monitoring',
    description: "Show a job's resource samples (CPU, memory, IO, network, processes) and their summary",
    details: 'A running job is sampled every monitoring.jobIntervalSeconds (5 by default) and once more as it ends (marked *). --follow prints new samples until the job ends.',
    examples: [['History of a job', 'rnx job metrics 3f2a'], ['Live until the job ends', 'rnx job metrics 3f2a --follow'], ['Peak memory with jq', "rnx job metrics 3f2a --json | jq -s 'map(.memoryBytes) | max'"]],
  });

  follow = Flag.boolean('-f,--follow', 'Keep printing new samples until the job ends');
  id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters');

  async run(): Promise<number> {
    const all: SampleJson[] = [];
    let newest = -1n;
    const emit = (e: JobMetricsEvent) => {
      const ts = BigInt(e.timestamp || '0');
      // The live stream starts with the job's latest sample, which the history may already hold.
      if (ts <= newest) return;
      newest = ts;
      const s = sampleJson(e);
      if (!this.wantJson && all.length === 0) this.out(fixed(SAMPLE_HEADER));
      all.push(s);
      this.out(this.wantJson ? JSON.stringify(s) : fixed(sampleRow(s)));
    };
    const ac = new AbortController();
    const onInt = () => ac.abort();
    process.once('SIGINT', onInt);
    try {
      await this.withNode(async (c) => {
        for await (const e of c.jobs.getJobMetrics({ jobUuid: this.id, startTime: '0', endTime: '0', limit: 0 }, { signal: ac.signal })) emit(e);
        if (!this.follow) return;
        if (!this.wantJson) this.context.stderr.write('Streaming metrics until the job ends (Ctrl+C to stop)...\n');
        for await (const e of c.jobs.streamJobMetrics({ jobUuid: this.id }, { signal: ac.signal })) emit(e);
      });
    } catch (err) {
      if (!(ac.signal.aborted && isAbortError(err))) throw err;
    } finally {
      process.off('SIGINT', onInt);
    }
    if (this.wantJson) return 0;
    const sum = summarize(all);
    if (!sum) {
      this.out(`No metrics samples for job ${this.id} yet: a running job is sampled every monitoring.jobIntervalSeconds`);
      return 0;
    }
    this.out('');
    for (const line of summaryLines(sum)) this.out(line);
    return 0;
  }
}
