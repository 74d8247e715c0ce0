/** `rnx runtime list`: installed runtimes and the built-ins available to install. */
import { ClientCommand } from '../base';
import { safeText, table } from '../format';
import { runtimeJson, sizeText } from '../runtime-format';

/** List runtimes. */
export class RuntimeListCommand extends ClientCommand {
  static override paths = [['runtime', 'list'], ['runtime', 'ls']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'List runtimes: installed ones and the built-ins available to install',
    details: `
      PACKAGES is the number of distribution packages in an installed runtime's root filesystem. STATUS is installed,
      available (a built-in you can install with 'rnx runtime install'), installing, or broken.
    `,
    examples: [['List runtimes', 'rnx runtime list'], ['As JSON', 'rnx runtime list --json']],
  });

  async run(): Promise<number> {
    const { runtimes } = await this.withNode((c) => c.runtimes.listRuntimes({}));
    const all = runtimes.map((r) => runtimeJson(r, false));
    if (this.wantJson) {
      this.json(all);
      return 0;
    }
    if (all.length === 0) {
      this.out('No runtimes available.');
      this.out('To build one, use: rnx runtime build <runtime.yaml>');
      return 0;
    }
    const rows = all.map((r) => [r.name, safeText(r.version), `${r.language} ${r.languageVersion}`.trim(), sizeText(r.sizeBytes), r.packageCount ? String(r.packageCount) : '-', r.status + (r.jobs ? ` (${r.jobs} job${r.jobs > 1 ? 's' : ''})` : '')]);
    this.out(table(['NAME', 'VERSION', 'LANGUAGE', 'SIZE', 'PACKAGES', 'STATUS'], rows.map((row) => row.map(safeText))));
    const aliases = all.filter((r) => r.aliases.length).map((r) => `${r.aliases.join(', ')} → ${r.name}`);
    if (aliases.length) this.out(`\nAliases: ${[...new Set(aliases)].join('; ')}`);
    this.out("\nInstall a built-in: rnx runtime install NAME   Details: rnx runtime info NAME   Use: rnx run --runtime=NAME <command>");
    return 0;
  }
}
