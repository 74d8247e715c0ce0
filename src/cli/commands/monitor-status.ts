/** `rnx monitor status`: the server's host — identity, CPU, memory, disks, network, IO, processes, cloud — and its build. */
import { ClientCommand } from '../base';
import { statusLines } from '../monitor-status-format';

/** Show the server's status. */
export class MonitorStatusCommand extends ClientCommand {
  static override paths = [['monitor', 'status']];
  static override usage = ClientCommand.Usage({
    category: 'Monitoring',
    description: 'Show the server host: CPU, memory, disks, network, IO, processes, cloud and the joblet build',
    details: 'Rates and percentages cover the last few seconds. --json prints the API message (GetSystemStatus) in camelCase.',
    examples: [['Status of the default node', 'rnx monitor status'], ['As JSON', 'rnx monitor status --json']],
  });

  async run(): Promise<number> {
    const s = await this.withNode((c) => c.monitoring.getSystemStatus({}));
    if (this.wantJson) this.json(s);
    else for (const line of statusLines(s)) this.out(line);
    return 0;
  }
}
