/**
 * `rnx completion bash|zsh|fish`: a completion script generated from the command definitions
 * (commands, aliases, flags, their fixed values). Values that live on the server (job ids, schedule
 * names, volumes, networks, runtimes) and the config's nodes are fetched while completing through
 * the hidden `rnx completion --list SOURCE`, which gives up after a short time.
 */
import { UsageError } from '../base';
import { ClientCommand } from '../base';
import { bashScript } from '../completion/bash';
import { nodeCandidates, SERVER_SOURCES, serverCandidates, type ServerSource } from '../completion/candidates';
import { fishScript } from '../completion/fish';
import { completionModel } from '../completion/model';
import { zshScript } from '../completion/zsh';
import { Arg, Flag } from '../flags';
import { version } from '../../shared/version';

/** How long a TAB may wait for the server. */
const LIST_TIMEOUT_MS = 1500;

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript };

/** Print a completion script, or (hidden) candidates for one. */
export class CompletionCommand extends ClientCommand {
  static override paths = [['completion']];
  static override usage = ClientCommand.Usage({
    category: 'Client',
    description: 'Print the shell completion script for bash, zsh or fish',
    details: `
      Completes commands, flags, flag values (network modes, volume types, states, node names) and, asked from the server
      with a short timeout, job ids, schedule names, volumes, networks and runtimes. The packages install it for bash and
      zsh; otherwise load it from your shell's startup file as the examples show.
    `,
    examples: [
      ['bash: for every user (or add `source <(rnx completion bash)` to ~/.bashrc)', 'rnx completion bash > /etc/bash_completion.d/rnx'],
      ['zsh: into a directory of $fpath (or `source <(rnx completion zsh)` in ~/.zshrc after compinit)', 'rnx completion zsh > "${fpath[1]}/_rnx"'],
      ['fish', 'rnx completion fish > ~/.config/fish/completions/rnx.fish'],
    ],
  });

  list = Flag.string('--list', 'SOURCE', 'Print completion candidates (for the scripts)', { hidden: true });
  shell = Arg.optional('SHELL', 'bash, zsh or fish', { values: Object.keys(SHELLS) });

  async run(): Promise<number> {
    if (this.list !== undefined) return this.printCandidates(this.list);
    const make = this.shell ? SHELLS[this.shell as keyof typeof SHELLS] : undefined;
    if (!make || !Object.hasOwn(SHELLS, this.shell!)) {
      throw new UsageError(this.shell ? `unknown shell '${this.shell}': use bash, zsh or fish` : 'which shell? rnx completion bash|zsh|fish');
    }
    this.context.stdout.write(make(completionModel(this.context.registry), version()));
    return 0;
  }

  /** "value<TAB>description" lines for the scripts. */
  private async printCandidates(source: string): Promise<number> {
    let rows: [string, string][];
    if (source === 'nodes') {
      rows = nodeCandidates(this.configPath, this.context.env);
    } else if ((SERVER_SOURCES as readonly string[]).includes(source)) {
      const signal = AbortSignal.timeout(LIST_TIMEOUT_MS);
      rows = await this.withNode((c) => serverCandidates(source as ServerSource, c, signal));
    } else {
      throw new UsageError(`unknown completion source '${source}' (nodes, ${SERVER_SOURCES.join(', ')})`);
    }
    for (const [value, description] of rows) this.out(description ? `${value}\t${description}` : value);
    return 0;
  }
}
