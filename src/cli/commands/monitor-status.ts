/** `rnx monitor status`: the server's host — identity, CPU, memory, disks, network, IO, processes, cloud — and its build. */
import type { SystemStatusResponse } from '../../gen/joblet';
import { ClientCommand } from '../base';
import { FanOutCommand, fanOutExit } from '../fan-out';
import { safeText, table } from '../format';
import { statusLines } from '../monitor-status-format';
import { bytes, pct, uptime } from '../units';

/** Show the server's status. */
export class MonitorStatusCommand extends FanOutCommand {
  static override paths = [['monitor', 'status']];
  static override usage = ClientCommand.Usage({
    category: 'Monitoring',
    description: 'Show the server host: CPU, memory, disks, network, IO, processes, cloud and the joblet build',
    details: `
      Rates and percentages cover the last few seconds. --json prints the API message (GetSystemStatus) in camelCase.
      With --node=a,b or --all-nodes the nodes are asked in parallel and one line per node is shown (NODE, host, CPU,
      memory, load, uptime, version); with --json, an array of the API messages, each with a "node" field. A node that
      cannot be asked is reported on stderr; the exit code is 1 only when no node answered.
    `,
    examples: [
      ['Status of the default node', 'rnx monitor status'],
      ['As JSON', 'rnx monitor status --json'],
      ['One line per node of the fleet', 'rnx monitor status --all-nodes'],
    ],
  });

  async run(): Promise<number> {
    const nodes = this.fanOutTargets();
    if (nodes) {
      const answers = await this.onNodes(nodes, (c, signal) => c.monitoring.getSystemStatus({}, { signal }));
      const ok = answers.flatMap((a) => (a.value ? [{ node: a.node, address: a.address, s: a.value }] : []));
      if (this.wantJson) this.json(ok.map(({ node, s }) => ({ node, ...s })));
      else if (ok.length) this.out(table(['NODE', 'ADDRESS', 'HOSTNAME', 'CPUS', 'CPU', 'LOAD', 'MEMORY', 'MEM', 'UPTIME', 'VERSION'], ok.map(({ node, address, s }) => fleetRow(node, address, s))));
      return fanOutExit(answers);
    }
    const s = await this.withNode((c) => c.monitoring.getSystemStatus({}));
    if (this.wantJson) this.json(s);
    else for (const line of statusLines(s)) this.out(line);
    return 0;
  }
}

/** One node's line of the fleet table. */
function fleetRow(node: string, address: string, s: SystemStatusResponse): string[] {
  const h = s.host;
  const m = s.memory;
  return [
    node,
    address,
    safeText(h?.hostname ?? '?'),
    String(h?.cpuCount ?? '?'),
    s.cpu ? pct(s.cpu.usagePercent) : '?',
    s.cpu ? s.cpu.loadAverage.map((x) => x.toFixed(2)).join(' ') : '?',
    m ? bytes(m.totalBytes) : '?',
    m ? pct(m.usagePercent) : '?',
    h ? uptime(h.uptime) : '?',
    s.serverVersion?.version || '?',
  ];
}
