/**
 * Command metadata read back from the command classes: paths and aliases, help texts, examples,
 * flags and arguments, and the command groups (`volume`, `network`, ...) derived from the paths.
 * Help, error messages and (later) shell completion and the web console all work from this, so a
 * command declares everything once, in its own file.
 */
import { Command, type Usage } from 'clipanion';
import { GLOBAL_SECTION, SPEC, type ArgSpec, type FlagSpec } from './flags';

/** A command class as rnx registers it. */
export type RnxCommandClass = (new () => object) & {
  paths?: string[][];
  usage?: Usage;
  /** For a command that is a shorthand of another: what it stands for ('status --json'). */
  aliasOf?: string;
};

/** Everything known about one command. */
export interface CommandSpec {
  cls: RnxCommandClass;
  /** The canonical path: ['volume', 'create']. */
  path: string[];
  /** Other paths of the same command: [['volume', 'ls']]. */
  aliases: string[][];
  /** Set for a shorthand command: what it stands for. */
  aliasOf?: string;
  category: string;
  description: string;
  details: string;
  examples: [string, string][];
  flags: FlagSpec[];
  args: ArgSpec[];
}

/**
 * Read a command class's metadata. Every option of an rnx command is declared with Flag/Arg; with
 * `lenient`, options declared directly with clipanion (the joblet admin commands) are skipped.
 */
export function commandSpec(cls: RnxCommandClass, o: { lenient?: boolean } = {}): CommandSpec {
  const instance = new cls() as unknown as Record<string, unknown>;
  const flags: FlagSpec[] = [];
  const args: ArgSpec[] = [];
  for (const key of Object.keys(instance)) {
    const value = instance[key] as Record<string | symbol, unknown> | null;
    if (typeof value !== 'object' || value === null || !value[Command.isOption]) continue;
    const spec = value[SPEC] as FlagSpec | ArgSpec | undefined;
    if (!spec && o.lenient) continue;
    if (!spec) throw new Error(`${cls.name}.${key} is declared without Flag/Arg (src/cli/flags.ts), so help cannot describe it`);
    if ('names' in spec) flags.push({ ...spec, key });
    else args.push({ ...spec, key });
  }
  const [path = [], ...aliases] = cls.paths ?? [];
  const usage = cls.usage ?? {};
  return {
    cls,
    path,
    aliases,
    aliasOf: cls.aliasOf,
    category: usage.category ?? 'Other',
    description: usage.description ?? '',
    details: dedent(usage.details ?? ''),
    examples: usage.examples ?? [],
    flags,
    args,
  };
}

/** What rnx knows about all its commands: the registered ones and the groups of later releases. */
export interface Registry {
  /** Every command, in the order help lists them. */
  commands: CommandSpec[];
  /** Group word → its commands (derived from the paths). */
  groups: Map<string, CommandSpec[]>;
  /** Group word → feature, for groups a later release brings (`runtime` → 'runtimes'). */
  notYet: Record<string, string>;
}

/** "rnx volume create [FLAGS] NAME". */
export function usageLine(spec: CommandSpec, program = 'rnx'): string {
  const parts = [program, ...spec.path];
  if (spec.flags.some((f) => !f.hidden)) parts.push('[FLAGS]');
  for (const a of spec.args) {
    if (a.verbatim) parts.push(a.required ? `${a.name} [ARG...]` : `[${a.name}...]`);
    else parts.push(a.required ? a.name : `[${a.name}]`);
  }
  return parts.join(' ');
}

/** Every path of a command, canonical first. */
export function allPaths(spec: CommandSpec): string[][] {
  return [spec.path, ...spec.aliases];
}

/** The commands under each group word (`volume` → volume create, list, remove), in registration order. */
export function groups(specs: CommandSpec[]): Map<string, CommandSpec[]> {
  const out = new Map<string, CommandSpec[]>();
  for (const s of specs) {
    for (const p of allPaths(s)) {
      if (p.length < 2) continue;
      const list = out.get(p[0]!) ?? [];
      if (!list.includes(s)) list.push(s);
      out.set(p[0]!, list);
    }
  }
  return out;
}

/** The command whose path (or alias) is the longest prefix of `words`, and that path. */
export function findCommand(specs: CommandSpec[], words: string[]): { spec: CommandSpec; path: string[] } | undefined {
  let best: { spec: CommandSpec; path: string[] } | undefined;
  for (const s of specs) {
    for (const p of allPaths(s)) {
      if (p.length === 0 || p.length > words.length || !p.every((w, i) => words[i] === w)) continue;
      if (!best || p.length > best.path.length) best = { spec: s, path: p };
    }
  }
  return best;
}

/** Remove the common indentation of a template literal and its surrounding blank lines. */
export function dedent(text: string): string {
  const lines = text.replace(/^\s*\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}

/** The flags every client command shares (--config, --node, --json), from any command that has them. */
export function globalFlags(specs: CommandSpec[]): FlagSpec[] {
  return specs.find((s) => s.flags.some((f) => f.section === GLOBAL_SECTION))?.flags.filter((f) => f.section === GLOBAL_SECTION) ?? [];
}
