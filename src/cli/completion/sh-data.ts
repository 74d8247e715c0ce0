/**
 * The completion model as shell functions made of `case` statements, which bash (3.2 and later,
 * the macOS one included: no associative arrays) and zsh read alike. Each sets a result variable
 * instead of printing, so no subshell runs per call:
 *
 *   _rnx_next PREFIX      _rnx_r: words that may follow the command words PREFIX ('' = first word)
 *   _rnx_is_cmd PATH      status 0 when PATH is a complete command
 *   _rnx_flags CMD        _rnx_r: the flags of CMD (globals are in $_rnx_globals)
 *   _rnx_valued CMD FLAG  status 0 when FLAG takes a value
 *   _rnx_values CMD FLAG  _rnx_r: fixed values; _rnx_s: where more come from (completion --list SOURCE)
 *   _rnx_arg CMD INDEX    _rnx_r, _rnx_s: fixed values and source of argument INDEX; _rnx_v=1 when it takes the rest
 */
import type { CompletionFlag, CompletionModel } from './model';

/** 'a'|'b' for a case pattern. */
function alts(items: string[]): string {
  return items.map((i) => `'${i}'`).join('|');
}

/** A shell word list, single-quoted (model.ts checked that no word holds a quote). */
function q(words: readonly string[]): string {
  return `'${words.join(' ')}'`;
}

/** The data functions for `m`. */
export function shData(m: CompletionModel): string {
  const out: string[] = [];
  out.push('_rnx_next() {', '  case "$1" in');
  for (const [prefix, words] of m.next) out.push(`    '${prefix}') _rnx_r=${q(words.map((w) => w.word))} ;;`);
  out.push("    *) _rnx_r='' ;;", '  esac', '}');

  out.push('_rnx_is_cmd() {', '  case "$1" in', `    ${alts(m.commands.map((c) => c.path.join(' ')))}) return 0 ;;`, '  esac', '  return 1', '}');

  // Commands sharing one flag list (a command and its aliases) share one case branch.
  const byFlags = new Map<string, string[]>();
  for (const c of m.commands) {
    const key = c.flags.flatMap((f) => f.names).join(' ');
    if (key) byFlags.set(key, [...(byFlags.get(key) ?? []), c.path.join(' ')]);
  }
  out.push('_rnx_flags() {', '  case "$1" in');
  for (const [flags, paths] of byFlags) out.push(`    ${alts(paths)}) _rnx_r='${flags}' ;;`);
  out.push("    *) _rnx_r='' ;;", '  esac', '}');
  out.push(`_rnx_globals=${q(m.globals.flatMap((f) => f.names))}`);

  const valued = (flags: CompletionFlag[]) => flags.filter((f) => f.takesValue);
  out.push('_rnx_valued() {', '  case "$2" in');
  const gv = valued(m.globals).flatMap((f) => f.names);
  if (gv.length) out.push(`    ${alts(gv)}) return 0 ;;`);
  out.push('  esac', '  case "$1 $2" in');
  const vpairs = m.commands.flatMap((c) => valued(c.flags).flatMap((f) => f.names.map((n) => `${c.path.join(' ')} ${n}`)));
  if (vpairs.length) out.push(`    ${alts(vpairs)}) return 0 ;;`);
  out.push('  esac', '  return 1', '}');

  out.push('_rnx_values() {', "  _rnx_r=''", "  _rnx_s=''", '  case "$2" in');
  for (const f of valued(m.globals)) out.push(`    ${alts(f.names)}) _rnx_r=${q(f.values)}; _rnx_s='${f.source ?? ''}'; return ;;`);
  out.push('  esac', '  case "$1 $2" in');
  for (const c of m.commands) {
    for (const f of valued(c.flags)) {
      if (!f.values.length && !f.source) continue;
      out.push(`    ${alts(f.names.map((n) => `${c.path.join(' ')} ${n}`))}) _rnx_r=${q(f.values)}; _rnx_s='${f.source ?? ''}' ;;`);
    }
  }
  out.push('  esac', '}');

  out.push('_rnx_arg() {', "  _rnx_r=''", "  _rnx_s=''", '  _rnx_v=0', '  case "$1:$2" in');
  for (const c of m.commands) {
    c.args.forEach((a, i) => {
      const pattern = a.verbatim ? `'${c.path.join(' ')}:'*` : `'${c.path.join(' ')}:${i}'`;
      if (!a.source && !a.values.length && !a.verbatim) return;
      out.push(`    ${pattern}) _rnx_r=${q(a.values)}; _rnx_s='${a.source ?? ''}'${a.verbatim ? '; _rnx_v=1' : ''} ;;`);
    });
  }
  out.push('  esac', '}');
  return out.join('\n') + '\n';
}
