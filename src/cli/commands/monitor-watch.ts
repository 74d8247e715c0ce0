/**
 * `rnx monitor watch [--interval=N] [--filter=...] [--compact]`: live samples of the server. On a
 * terminal the view is redrawn in place (one line with --compact); piped, each sample is one line
 * (one JSON object per line with --json). Ctrl+C ends it.
 */
import { isAbortError } from 'abort-controller-x';
import { parsePositiveInt } from '../../shared/limits';
import { ClientCommand } from '../base';
import { Flag } from '../flags';
import { compactLine, metricsJson, parseFilter, topLines } from '../monitor-format';

/** Watch the server live. */
export class MonitorWatchCommand extends ClientCommand {
  static override paths = [['monitor', 'watch']];
  static override usage = ClientCommand.Usage({
    category: 'Monitoring',
    description: 'Watch the server live: a sample every --interval seconds until Ctrl+C',
    details: 'On a terminal the view is redrawn in place; piped, every sample is one line (with --json, one JSON object per line).',
    examples: [['Every 2 seconds', 'rnx monitor watch --interval=2'], ['One line per sample, CPU and memory', 'rnx monitor watch --compact --filter=cpu,memory'], ['JSON lines into a file', 'rnx monitor watch --json > samples.jsonl']],
  });

  interval = Flag.stringWithDefault('--interval', 'SECONDS', '5', 'Seconds between samples, 1-3600 (default 5)');
  filter = Flag.list('--filter', 'SECTIONS', 'Sections to show, comma-separated: cpu, memory, disk, network, io, process');
  compact = Flag.boolean('--compact', 'One line per sample, also on a terminal');

  async run(): Promise<number> {
    const seconds = parsePositiveInt('--interval', this.interval, 1, 3600, 'seconds');
    const types = parseFilter(this.filter);
    const out = this.context.stdout as NodeJS.WriteStream;
    const tty = out.isTTY === true && !this.wantJson;
    const ac = new AbortController();
    const onInt = () => ac.abort();
    process.once('SIGINT', onInt);
    try {
      await this.withNode(async (c) => {
        for await (const m of c.monitoring.streamSystemMetrics({ intervalSeconds: seconds, metricTypes: [...types] }, { signal: ac.signal })) {
          if (this.wantJson) this.out(JSON.stringify(metricsJson(m, types)));
          else if (!tty) this.out(compactLine(m, types));
          else if (this.compact) out.write(`\r\x1b[K${compactLine(m, types)}`);
          // Clear the screen and home the cursor, then draw the whole view again.
          else out.write(`\x1b[2J\x1b[H${topLines(m, types, out.columns || 100).join('\n')}\n\n(every ${seconds}s; Ctrl+C to stop)\n`);
        }
      });
    } catch (err) {
      if (!(ac.signal.aborted && isAbortError(err))) throw err;
    } finally {
      process.off('SIGINT', onInt);
      if (tty && this.compact) out.write('\n');
    }
    return 0;
  }
}
