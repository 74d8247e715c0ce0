/**
 * What shell completion knows, read from the command registry (rnx.ts registry()): every command
 * path (aliases included), its flags with their values, its arguments, and the global flags. The
 * generators (bash.ts, zsh.ts, fish.ts) turn this into scripts; values that live on the server
 * (jobs, volumes, ...) are fetched by the script through `rnx completion --list SOURCE`.
 */
import { GLOBAL_SECTION, type CompletionSource, type FlagSpec } from '../flags';
import { allPaths, globalFlags, type Registry } from '../spec';

/** A flag as completion sees it. */
export interface CompletionFlag {
  names: string[];
  description: string;
  /** Takes a value (`--node NAME`); on/off flags do not. */
  takesValue: boolean;
  /** A fixed set of values (may be extended by `source`). */
  values: readonly string[];
  source?: CompletionSource;
}

/** A command path (canonical or alias) with what may follow it. */
export interface CompletionCommand {
  path: string[];
  description: string;
  flags: CompletionFlag[];
  /** Positional arguments in order; a verbatim one takes every remaining word. */
  args: { source?: CompletionSource; values: readonly string[]; verbatim: boolean }[];
}

/** Everything a completion script needs. */
export interface CompletionModel {
  commands: CompletionCommand[];
  /** Flags every command accepts, before or after its name. */
  globals: CompletionFlag[];
  /** Words that may follow a prefix of command words ('' = the first word), with a description. */
  next: Map<string, { word: string; description: string }[]>;
}

/** Flags rnx handles without a command declaring them. */
const BUILTINS: CompletionFlag[] = [
  { names: ['-h', '--help'], description: 'Show help', takesValue: false, values: [] },
  { names: ['-v', '--version'], description: "Show the client's version", takesValue: false, values: [] },
];

/** Sources implied by a flag's name or placeholder when its spec does not say. */
const BY_NAME: Record<string, CompletionSource> = { '--node': 'nodes', '--volume': 'volumes', '--network': 'networks', '--runtime': 'runtimes' };
const BY_PLACEHOLDER: Record<string, CompletionSource> = { PATH: 'files', FILE: 'files' };

/** Characters a word may have to be written into a script unquoted. */
const SAFE_WORD = /^[A-Za-z0-9_.:@%+=,/-]+$/;

function flag(f: FlagSpec): CompletionFlag {
  const takesValue = f.kind !== 'boolean';
  const source = f.complete ?? f.names.map((n) => BY_NAME[n]).find(Boolean) ?? (f.placeholder ? BY_PLACEHOLDER[f.placeholder] : undefined);
  return { names: f.names, description: f.description, takesValue, values: f.values ?? [], source: takesValue ? source : undefined };
}

function check(word: string, what: string): string {
  if (!SAFE_WORD.test(word)) throw new Error(`completion: ${what} '${word}' has characters a completion script cannot carry unquoted`);
  return word;
}

/** Build the model from the registry. */
export function completionModel(r: Registry): CompletionModel {
  const commands: CompletionCommand[] = [];
  const next = new Map<string, { word: string; description: string }[]>();
  const add = (prefix: string[], word: string, description: string) => {
    const key = prefix.join(' ');
    const list = next.get(key) ?? [];
    if (!list.some((e) => e.word === word)) list.push({ word: check(word, 'command word'), description });
    next.set(key, list);
  };
  for (const spec of r.commands) {
    const flags = spec.flags.filter((f) => !f.hidden && f.section !== GLOBAL_SECTION).map(flag);
    for (const f of flags) for (const n of [...f.names, ...f.values]) check(n, `flag or value of rnx ${spec.path.join(' ')}`);
    const args = spec.args.map((a) => ({ source: a.complete, values: a.values ?? [], verbatim: a.verbatim }));
    for (const a of args) for (const v of a.values) check(v, `value of rnx ${spec.path.join(' ')}`);
    for (const path of allPaths(spec)) {
      if (path.length === 0 || path[0]!.startsWith('-')) continue;
      commands.push({ path, description: spec.description, flags, args });
      for (let i = 0; i < path.length; i++) {
        const isGroup = i < path.length - 1;
        add(path.slice(0, i), path[i]!, isGroup ? `${groupDescription(r, path[i]!)}` : spec.description);
      }
    }
  }
  const globals = [...globalFlags(r.commands).map(flag), ...BUILTINS];
  return { commands, globals, next };
}

function groupDescription(r: Registry, group: string): string {
  const members = r.groups.get(group) ?? [];
  return `${members[0]?.category ?? 'Commands'}: ${members.map((m) => m.path[m.path.length - 1]).join(', ')}`;
}

/** Every flag spelling of `cmd` plus the globals. */
export function flagNames(cmd: CompletionCommand | undefined, globals: CompletionFlag[]): string[] {
  return [...(cmd?.flags ?? []), ...globals].flatMap((f) => f.names);
}
