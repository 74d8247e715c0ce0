/** `rnx runtime validate FILE.yaml`: check a runtime.yaml on the server; problems name their lines. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { safeText } from '../format';
import { readRuntimeYaml } from './runtime-build';

/** Validate a runtime.yaml. */
export class RuntimeValidateCommand extends ClientCommand {
  static override paths = [['runtime', 'validate']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'Check a runtime.yaml without building it; every problem names its line',
    examples: [['Check', 'rnx runtime validate runtime.yaml']],
  });

  file = Arg.required('FILE', 'A runtime.yaml, or a directory holding runtime.yaml or runtime.yml');

  async run(): Promise<number> {
    const yaml = readRuntimeYaml(this.file);
    const r = await this.withNode((c) => c.runtimes.validateRuntimeYAML({ yamlContent: yaml }));
    const s = r.specInfo;
    if (this.wantJson) {
      this.json({ valid: r.valid, message: r.message, errors: r.errors, warnings: r.warnings, spec: s ?? null });
      return r.valid ? 0 : 1;
    }
    this.out(r.valid ? `✓ ${this.file} is valid` : `✗ ${this.file} is invalid: ${r.message}`);
    if (r.errors.length) {
      this.out('Errors:');
      for (const e of r.errors) this.out(safeText(`  • ${e}`));
    }
    if (r.warnings.length) {
      this.out('Warnings:');
      for (const w of r.warnings) this.out(safeText(`  ⚠ ${w}`));
    }
    if (s && r.valid) {
      this.out('Specification:');
      this.out(safeText(`  Name:        ${s.name}`));
      this.out(safeText(`  Version:     ${s.version}`));
      this.out(safeText(`  Language:    ${s.language} ${s.languageVersion}`));
      this.out(safeText(`  Description: ${s.description}`));
      if (s.pipPackages.length) this.out(safeText(`  Pip:         ${s.pipPackages.join(', ')}`));
      if (s.npmPackages.length) this.out(safeText(`  NPM:         ${s.npmPackages.join(', ')}`));
      this.out(`  Hooks:       ${s.hasHooks ? 'yes' : 'no'}`);
    }
    return r.valid ? 0 : 1;
  }
}
