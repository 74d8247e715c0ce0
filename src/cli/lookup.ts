/**
 * What words name: a command, a group, a group of a later release, or nothing (then the closest
 * known command, for "did you mean"). Used by `rnx help WORDS`, bare group names and the messages
 * for unknown commands.
 */
import { closest } from './suggest';
import { allPaths, findCommand, type CommandSpec, type Registry } from './spec';

/** The meaning of some words. */
export type Lookup =
  | { kind: 'command'; spec: CommandSpec }
  | { kind: 'group'; name: string; members: CommandSpec[] }
  | { kind: 'notYet'; name: string; feature: string }
  | { kind: 'unknown'; words: string; suggestion?: string };

/** Look up `words` (at least one). */
export function lookup(words: string[], r: Registry): Lookup {
  const found = findCommand(r.commands, words);
  if (found && found.path.length === words.length) return { kind: 'command', spec: found.spec };
  const [first = '', second] = words;
  const members = r.groups.get(first);
  if (members && words.length === 1) return { kind: 'group', name: first, members };
  if (!members && Object.hasOwn(r.notYet, first)) return { kind: 'notYet', name: first, feature: r.notYet[first]! };
  if (members && second !== undefined && !found) {
    const subs = members.flatMap((s) => allPaths(s).filter((p) => p[0] === first && p.length > 1).map((p) => p[1]!));
    const s = closest(second, subs);
    return { kind: 'unknown', words: `${first} ${second}`, suggestion: s && `${first} ${s}` };
  }
  if (found) return { kind: 'unknown', words: words.slice(0, found.path.length + 1).join(' ') };
  return { kind: 'unknown', words: first, suggestion: closest(first, topWords(r)) };
}

/** Every first word rnx knows: commands, aliases, groups. */
export function topWords(r: Registry): string[] {
  return [...new Set([...r.commands.flatMap((s) => allPaths(s).map((p) => p[0]!)), ...r.groups.keys()])];
}

/** "unknown command 'lsit'; did you mean 'list'?" */
export function unknownMessage(l: Extract<Lookup, { kind: 'unknown' }>): string {
  return `unknown command '${l.words}'${l.suggestion ? `; did you mean '${l.suggestion}'?` : ''}`;
}

/** "'rnx runtime' (runtimes) is not available in this release of joblet". */
export function notYetMessage(l: Extract<Lookup, { kind: 'notYet' }>): string {
  return `'rnx ${l.name}' (${l.feature}) is not available in this release of joblet`;
}
