/**
 * Help texts, rendered from the command specs: `rnx help` (every command once, aliases beside
 * it), a group (`rnx volume`), and one command (`rnx run --help`). Plain text when piped; headings
 * in bold on a terminal.
 */
import { DEFAULT_SECTION, GLOBAL_SECTION, type FlagSpec } from './flags';
import { allPaths, globalFlags, groups, usageLine, type CommandSpec } from './spec';
import type { Style } from './terminal';

/** Flags rnx understands everywhere without a command declaring them. */
const BUILTIN_FLAGS: [string, string][] = [
  ['-h, --help', 'Show help (for a command: rnx COMMAND --help)'],
  ['-v, --version', "Show the client's version (rnx version: the server's too)"],
];

/** "rnx help": every command once, by category, then the global flags. */
export function generalHelp(specs: CommandSpec[], st: Style): string {
  const lines = ['rnx: the joblet client. Runs commands in isolated jobs on a joblet server, over mutual TLS.', '', `${st.bold('Usage:')} rnx [GLOBAL FLAGS] COMMAND [ARGS...]`];
  const listed = specs.filter((s) => !s.aliasOf);
  const rows = listed.map((s) => ({ category: s.category, name: s.path.join(' '), text: s.description + aliasNote(s, specs) }));
  // A group made only of other names for commands (`rnx job run`) is one row, not an alias on each.
  for (const [group, members] of aliasGroups(specs)) {
    const examples = members.filter((m) => m.path[0] !== group).slice(0, 2).map((m) => `'rnx ${group} ${m.path.join(' ')}'`);
    rows.push({ category: members[0]!.category, name: `${group} COMMAND`, text: `The commands above under '${group}' too: ${examples.join(', ')}, ...` });
  }
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  for (const category of unique(listed.map((s) => s.category))) {
    lines.push('', st.bold(`${category}:`));
    for (const r of rows.filter((x) => x.category === category)) lines.push(`  ${r.name.padEnd(width)}${r.text}`);
  }
  const globals = globalFlags(specs);
  lines.push('', st.bold('Global flags (before or after the command):'), ...flagRows([...globals.map(flagColumns), ...BUILTIN_FLAGS]));
  lines.push('', "Run 'rnx help COMMAND' or 'rnx COMMAND --help' for a command's flags and examples.");
  return lines.join('\n') + '\n';
}

/** "rnx volume": the commands of a group, with an example of each. */
export function groupHelp(group: string, members: CommandSpec[], st: Style): string {
  const rows = members.map((s) => {
    const path = allPaths(s).find((p) => p[0] === group && p.length > 1)!;
    const others = allPaths(s).filter((p) => p !== path).map((p) => p.join(' '));
    return { s, name: path.join(' '), note: others.length ? ` (alias: ${others.join(', ')})` : '' };
  });
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const lines = [`rnx ${group}: commands for ${members[0]!.category.toLowerCase()}`, '', `${st.bold('Usage:')} rnx ${group} COMMAND [FLAGS] [ARGS...]`, '', st.bold('Commands:')];
  for (const r of rows) lines.push(`  ${r.name.padEnd(width)}${r.s.description}${r.note}`);
  const examples = members.flatMap((s) => s.examples.slice(0, 1));
  if (examples.length) lines.push('', st.bold('Examples:'), ...exampleLines(examples));
  lines.push('', `Run 'rnx help ${group} COMMAND' or 'rnx ${group} COMMAND --help' for a command's flags and examples.`);
  return lines.join('\n') + '\n';
}

/** "rnx run --help": usage, arguments, flags by section, details, examples. */
export function commandHelp(spec: CommandSpec, specs: CommandSpec[], st: Style): string {
  const lines = [`rnx ${spec.path.join(' ')}: ${spec.description}`, '', `${st.bold('Usage:')} ${usageLine(spec)}`];
  const also = [...spec.aliases.filter((p) => !p[0]!.startsWith('-')).map((p) => `rnx ${p.join(' ')}`), ...shorthands(spec, specs).map((s) => `rnx ${s.path.join(' ')} (= rnx ${s.aliasOf})`)];
  if (also.length) lines.push(`${st.bold('Also:')} ${also.join(', ')}`);
  if (spec.aliasOf) lines.push(`${st.bold('Same as:')} rnx ${spec.aliasOf}`);
  if (spec.details) lines.push('', ...spec.details.split('\n').map((l) => (l ? `  ${l}` : '')));
  if (spec.args.length) {
    lines.push('', st.bold('Arguments:'), ...flagRows(spec.args.map((a) => [a.verbatim ? `${a.name} [ARG...]` : a.name, a.description])));
  }
  const visible = spec.flags.filter((f) => !f.hidden);
  const sections = unique([DEFAULT_SECTION, ...visible.map((f) => f.section)].filter((s) => s !== GLOBAL_SECTION && visible.some((f) => f.section === s)));
  const all = [...visible.map(flagColumns), ...BUILTIN_FLAGS];
  const width = Math.max(...all.map(([n]) => n.length)) + 3;
  for (const section of sections) {
    lines.push('', st.bold(`${section}:`), ...flagRows(visible.filter((f) => f.section === section).map(flagColumns), width));
  }
  const globals = visible.filter((f) => f.section === GLOBAL_SECTION).map(flagColumns);
  lines.push('', st.bold(`${globals.length ? GLOBAL_SECTION : DEFAULT_SECTION}:`), ...flagRows([...globals, BUILTIN_FLAGS[0]!], width));
  if (spec.examples.length) lines.push('', st.bold('Examples:'), ...exampleLines(spec.examples));
  return lines.join('\n') + '\n';
}

/** "-e, --env KEY=VALUE" and its description. */
function flagColumns(f: FlagSpec): [string, string] {
  const short = f.names.filter((n) => !n.startsWith('--'));
  const long = f.names.filter((n) => n.startsWith('--'));
  const names = [...short, ...long].join(', ');
  const shown = short.length ? names : `    ${names}`;
  return [f.placeholder ? `${shown} ${f.placeholder}` : shown, f.description];
}

function flagRows(rows: [string, string][], width = Math.max(...rows.map(([n]) => n.length)) + 3): string[] {
  return rows.map(([n, d]) => `  ${n.padEnd(width)}${d}`.trimEnd());
}

function exampleLines(examples: [string, string][]): string[] {
  return examples.flatMap(([label, cmd]) => [`  ${label}`, `    $ ${cmd}`]);
}

/**
 * " (alias: ps)" for a command: its other names and the shorthand commands that stand for it;
 * names under an alias group (`job list`) and flag spellings (`--version`) are listed elsewhere.
 */
function aliasNote(spec: CommandSpec, specs: CommandSpec[]): string {
  const skip = new Set(aliasGroups(specs).keys());
  const names = spec.aliases.filter((p) => !skip.has(p[0]!) && !p[0]!.startsWith('-')).map((p) => p.join(' '));
  for (const s of shorthands(spec, specs)) names.push(`${s.path.join(' ')} = ${s.aliasOf}`);
  return names.length ? ` (alias${names.length > 1 ? 'es' : ''}: ${names.join(', ')})` : '';
}

/** Commands that stand for `spec` with some flags (`inspect` = `status --json`). */
function shorthands(spec: CommandSpec, specs: CommandSpec[]): CommandSpec[] {
  return specs.filter((s) => s.aliasOf && s.aliasOf.split(' ').filter((w) => !w.startsWith('-')).join(' ') === spec.path.join(' '));
}

/**
 * Groups that mostly give other names to commands listed elsewhere (`job` → run, list, ...):
 * one row in the help instead of an alias on each. Commands whose own name is in the group
 * (a later `job metrics`) are listed as usual.
 */
function aliasGroups(specs: CommandSpec[]): Map<string, CommandSpec[]> {
  const out = new Map<string, CommandSpec[]>();
  for (const [group, members] of groups(specs)) if (members.filter((m) => m.path[0] !== group).length >= 2) out.set(group, members);
  return out;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
