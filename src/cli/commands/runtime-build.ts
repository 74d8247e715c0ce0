/** `rnx runtime build FILE.yaml`: build a user-defined runtime on the server. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { followBuild } from '../runtime-format';
import { reportBuild } from './runtime-install';

/** Reads a runtime.yaml given as a file, or as a directory holding runtime.yaml / runtime.yml. */
export function readRuntimeYaml(p: string): string {
  let file = p;
  try {
    if (fs.statSync(p).isDirectory()) {
      file = ['runtime.yaml', 'runtime.yml'].map((n) => path.join(p, n)).find((f) => fs.existsSync(f)) ?? '';
      if (!file) throw new InvalidArgumentError(`${p} is a directory without runtime.yaml or runtime.yml`);
    }
    const st = fs.statSync(file);
    if (st.size > 256 * 1024) throw new InvalidArgumentError(`${file} is ${st.size} bytes; a runtime.yaml may have at most 262144`);
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** Build a runtime from a runtime.yaml. */
export class RuntimeBuildCommand extends ClientCommand {
  static override paths = [['runtime', 'build']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'Build a runtime from a runtime.yaml (see README: Runtimes)',
    details: `
      The file follows the original's runtime.yaml: schema_version "1.0", name, version (X.Y.Z), description, base
      {language: python|java|node|go|rust, version}, and optionally packages (distribution packages, NAME or
      NAME=VERSION), pip, pip_options, npm, environment, requirements, platforms, libraries, hooks {timeout,
      pre_install, post_install}. Hooks run inside the build sandbox, chrooted into the new runtime. --dry-run only
      checks the file on the server. --force builds again over an installed version. --json prints one JSON object per
      event.
    `,
    examples: [['Build', 'rnx runtime build ./my-runtime.yaml'], ['Check only', 'rnx runtime build --dry-run runtime.yaml']],
  });

  file = Arg.required('FILE', 'A runtime.yaml, or a directory holding runtime.yaml or runtime.yml');
  force = Flag.boolean('-f,--force', 'Build again over an installed version');
  dryRun = Flag.boolean('--dry-run', 'Check the file on the server; build nothing');
  verbose = Flag.boolean('-v,--verbose', 'Show every line of the build log');

  async run(): Promise<number> {
    const yaml = readRuntimeYaml(this.file);
    return this.withNode(async (c) => {
      const stream = c.runtimes.buildRuntime({ yamlContent: yaml, dryRun: this.dryRun, verbose: this.verbose, forceRebuild: this.force });
      const { result, tail } = await followBuild(stream, { stdout: this.context.stdout, stderr: this.context.stderr, json: this.wantJson, verbose: this.verbose });
      return reportBuild(this, result, tail, { json: this.wantJson, verbose: this.verbose });
    });
  }
}
