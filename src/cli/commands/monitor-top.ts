/** `rnx monitor top [--filter=cpu,memory,...]`: one condensed sample of the server and its top processes. */
import { ClientCommand } from '../base';
import { Flag } from '../flags';
import { metricsJson, parseFilter, topLines } from '../monitor-format';

/** One condensed sample. */
export class MonitorTopCommand extends ClientCommand {
  static override paths = [['monitor', 'top']];
  static override usage = ClientCommand.Usage({
    category: 'Monitoring',
    description: 'Show a condensed view of the server and its top processes by CPU and memory',
    details: 'Only the sections named by --filter are fetched and shown: cpu, memory, disk, network, io, process (default: all).',
    examples: [['Everything', 'rnx monitor top'], ['CPU and processes only', 'rnx monitor top --filter=cpu,process'], ['As JSON', 'rnx monitor top --json']],
  });

  filter = Flag.list('--filter', 'SECTIONS', 'Sections to show, comma-separated: cpu, memory, disk, network, io, process');

  async run(): Promise<number> {
    const types = parseFilter(this.filter);
    const m = await this.withNode(async (c) => {
      // The stream's first sample comes at once; leaving the loop cancels the call.
      for await (const sample of c.monitoring.streamSystemMetrics({ intervalSeconds: 0, metricTypes: [...types] })) return sample;
      throw new Error('the server ended the metrics stream without a sample');
    });
    if (this.wantJson) {
      this.json(metricsJson(m, types));
      return 0;
    }
    const out = this.context.stdout as NodeJS.WriteStream;
    // Command lines are cut at the terminal's width, or at 160 columns in a pipe (--json has them whole).
    for (const line of topLines(m, types, out.isTTY ? out.columns || 100 : 160)) this.out(line);
    return 0;
  }
}
