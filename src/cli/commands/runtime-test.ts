/** `rnx runtime test NAME`: run the runtime's smoke test in a job. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { safeText } from '../format';

/** Smoke-test a runtime. */
export class RuntimeTestCommand extends ClientCommand {
  static override paths = [['runtime', 'test']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'Run a runtime\'s smoke test in a job',
    details: `
      Python runtimes print the Python version (python-3.11-ml imports numpy and pandas and prints their versions),
      Java runtimes compile and run a Hello class, Node runtimes run a script. The test is an ordinary job (see 'rnx
      list'); the exit code is 0 when it passed.
    `,
    examples: [['Test', 'rnx runtime test python:3.11-ml']],
  });

  name = Arg.required('RUNTIME', 'Runtime name (python-3.11-ml), alias (python:3.11-ml) or NAME@VERSION', { complete: 'runtimes' });

  async run(): Promise<number> {
    const r = await this.withNode((c) => c.runtimes.testRuntime({ runtime: this.name }));
    if (this.wantJson) {
      this.json({ runtime: this.name, success: r.success, output: r.output, error: r.error, exitCode: r.exitCode, jobId: r.jobUuid });
      return r.success ? 0 : 1;
    }
    this.out(`Testing runtime: ${this.name} (job ${r.jobUuid})`);
    if (r.output) this.context.stdout.write(lines(r.output));
    if (r.success) {
      this.out('✓ Runtime test passed');
      return 0;
    }
    this.out(`✗ Runtime test failed (exit code ${r.exitCode})`);
    if (r.error) this.context.stdout.write(`Error: ${lines(r.error)}${r.error.endsWith('\n') ? '' : '\n'}`);
    return 1;
  }
}

/** Job output made safe for a terminal, line by line. */
function lines(text: string): string {
  return text.split('\n').map(safeText).join('\n');
}
