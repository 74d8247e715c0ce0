/** `rnx runtime info NAME`: packages with versions, environment, build info and size. */
import { NotFoundError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { localTime, safeText } from '../format';
import { runtimeJson, seconds, sizeText } from '../runtime-format';

/** Show one runtime. */
export class RuntimeInfoCommand extends ClientCommand {
  static override paths = [['runtime', 'info']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'Show a runtime: its packages with versions, environment, build and size',
    examples: [['By name', 'rnx runtime info python-3.11-ml'], ['By alias', 'rnx runtime info java:17'], ['Every package, as JSON', 'rnx runtime info python-3.11-ml --json']],
  });

  name = Arg.required('RUNTIME', 'Runtime name (python-3.11-ml), alias (python:3.11-ml) or NAME@VERSION', { complete: 'runtimes' });

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.runtimes.getRuntimeInfo({ runtime: this.name }));
    if (!res.found || !res.runtime) throw new NotFoundError(`runtime '${this.name}' not found (see 'rnx runtime list')`);
    const r = runtimeJson(res.runtime, true);
    if (this.wantJson) {
      this.json(r);
      return 0;
    }
    const rows: [string, string][] = [
      ['Runtime', r.name],
      ['Version', r.version],
      ['Status', r.status === 'available' ? `available — install it with 'rnx runtime install ${r.name}'` : `${r.status}${r.jobs ? ` (${r.jobs} running job${r.jobs > 1 ? 's' : ''})` : ''}${r.problem ? `: ${r.problem}` : ''}`],
      ['Description', r.description],
      ['Language', `${r.language} ${r.languageVersion}`],
    ];
    if (r.aliases.length) rows.push(['Aliases', r.aliases.join(', ')]);
    if (r.sizeBytes) rows.push(['Size', sizeText(r.sizeBytes)]);
    if (r.installPath) rows.push(['Location', `${r.installPath} (on the server)`]);
    const w = Math.max(...rows.map(([k]) => k.length)) + 2;
    const line = (k: string, v: string) => this.out(safeText(`${`${k}:`.padEnd(w)}${v}`));
    for (const [k, v] of rows) line(k, v);
    this.out(r.status === 'installed' ? 'Packages (as asked for, with the versions installed):' : 'Packages (versions are resolved against the archive at install):');
    const pw = Math.max(...r.packages.map((p) => p.split('=')[0]!.length));
    for (const p of r.packages) {
      const [n, v] = [p.split('=')[0]!, p.split('=').slice(1).join('=')];
      this.out(safeText(`  ${n.padEnd(pw)}  ${v}`.trimEnd()));
    }
    if (r.packageCount) this.out(`  (${r.packageCount} packages in its root filesystem in all; --json lists every one)`);
    const env = Object.entries(r.environment);
    if (env.length) {
      this.out('Environment (set in every job, before --env):');
      for (const [k, v] of env) this.out(safeText(`  ${k}=${v.length > 60 ? `${v.slice(0, 57)}...` : v}`));
    }
    if (r.build) {
      this.out('Build:');
      this.out(safeText(`  Built:     ${localTime(r.build.builtAt)} in ${seconds(r.build.durationMs)}`));
      this.out(safeText(`  With:      ${r.build.builtWith}`));
      this.out(safeText(`  Platform:  ${r.build.platform}`));
      this.out(safeText(`  Archive:   ${r.build.archive.join('; ')}`));
    }
    this.out(`Usage: rnx run --runtime=${r.name} <command>`);
    return 0;
  }
}
