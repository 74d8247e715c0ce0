/**
 * `rnx completion fish`: the model as fish `switch` functions and one completion function that
 * reads the command line like the bash and zsh engines do (global flags anywhere, the flag
 * awaiting a value, the argument position) and prints candidates with descriptions.
 */
import type { CompletionFlag, CompletionModel } from './model';

/** A fish single-quoted string. */
function fq(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function lines(pairs: [string, string][]): string {
  return pairs.map(([w, d]) => `printf '%s\\t%s\\n' ${fq(w)} ${fq(d)}`).join('; ');
}

function flagPairs(flags: CompletionFlag[]): [string, string][] {
  return flags.flatMap((f) => f.names.map((n): [string, string] => [n, f.description]));
}

function data(m: CompletionModel): string {
  const out: string[] = [];
  out.push('function __rnx_next', '    switch "$argv[1]"');
  for (const [prefix, words] of m.next) out.push(`        case ${fq(prefix)}`, `            ${lines(words.map((w) => [w.word, w.description]))}`);
  out.push('    end', 'end');
  out.push('function __rnx_is_cmd', '    switch "$argv[1]"', `        case ${m.commands.map((c) => fq(c.path.join(' '))).join(' ')}`, '            return 0', '    end', '    return 1', 'end');
  out.push('function __rnx_flags', '    switch "$argv[1]"');
  for (const c of m.commands) if (c.flags.length) out.push(`        case ${fq(c.path.join(' '))}`, `            ${lines(flagPairs(c.flags))}`);
  out.push('    end', `    ${lines(flagPairs(m.globals))}`, 'end');
  const valued = (fs: CompletionFlag[]) => fs.filter((f) => f.takesValue);
  out.push('function __rnx_valued', '    switch "$argv[2]"', `        case ${valued(m.globals).flatMap((f) => f.names).map(fq).join(' ')}`, '            return 0', '    end');
  const pairs = m.commands.flatMap((c) => valued(c.flags).flatMap((f) => f.names.map((n) => `${c.path.join(' ')} ${n}`)));
  out.push('    switch "$argv[1] $argv[2]"', `        case ${pairs.map(fq).join(' ')}`, '            return 0', '    end', '    return 1', 'end');
  // __rnx_values CMD FLAG: prints the fixed values, then "@SOURCE" when more come from elsewhere.
  out.push('function __rnx_values', '    switch "$argv[2]"');
  for (const f of valued(m.globals)) out.push(`        case ${f.names.map(fq).join(' ')}`, `            printf '%s\\n' ${[...f.values, ...(f.source ? [`@${f.source}`] : [])].map(fq).join(' ')}; return`);
  out.push('    end', '    switch "$argv[1] $argv[2]"');
  for (const c of m.commands) {
    for (const f of valued(c.flags)) {
      const vals = [...f.values, ...(f.source ? [`@${f.source}`] : [])];
      if (vals.length) out.push(`        case ${f.names.map((n) => fq(`${c.path.join(' ')} ${n}`)).join(' ')}`, `            printf '%s\\n' ${vals.map(fq).join(' ')}`);
    }
  }
  out.push('    end', 'end');
  // __rnx_arg CMD INDEX: prints the source ("-" for none), "verbatim" or "-", then the fixed values.
  out.push('function __rnx_arg', '    switch "$argv[1]:$argv[2]"');
  for (const c of m.commands) {
    c.args.forEach((a, i) => {
      if (!a.source && !a.values.length && !a.verbatim) return;
      const words = [a.source ?? '-', a.verbatim ? 'verbatim' : '-', ...a.values];
      // A quoted '*' is still a wildcard in a fish case (unquoted it would glob file names).
      out.push(`        case ${fq(`${c.path.join(' ')}:${a.verbatim ? '*' : i}`)}`, `            printf '%s\\n' ${words.map(fq).join(' ')}`);
    });
  }
  out.push('    end', 'end');
  return out.join('\n') + '\n';
}

const ENGINE = String.raw`
# The server's names for SOURCE (jobs, volumes, ...) with descriptions, asked with the line's --config and --node.
function __rnx_list
    set -l args completion --list $argv[1]
    test -n "$argv[2]"; and set -a args --config (string replace -r '^~' $HOME -- $argv[2])
    test -n "$argv[3]"; and set -a args --node (string split -f1 , -- $argv[3])
    $__rnx_prog $args 2>/dev/null
end

# Values for a flag: fixed ones, and those of its source; $argv[3] is put before each (for --flag=).
function __rnx_value_cands
    for v in (__rnx_values $argv[1] $argv[2])
        switch $v
            case '@files'
                for p in (__fish_complete_path (string replace -- "$argv[3]" '' (commandline -ct)))
                    printf '%s%s\n' "$argv[3]" $p
                end
            case '@dirs'
                for p in (__fish_complete_directories (string replace -- "$argv[3]" '' (commandline -ct)))
                    printf '%s%s\n' "$argv[3]" $p
                end
            case '@*'
                for c in (__rnx_list (string sub -s 2 -- $v) $__rnx_config $__rnx_node)
                    printf '%s%s\n' "$argv[3]" $c
                end
            case '*'
                printf '%s%s\n' "$argv[3]" $v
        end
    end
end

function __rnx_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -g __rnx_prog $tokens[1]
    set -g __rnx_config ''
    set -g __rnx_node ''
    set -l cmd ''
    set -l cpath ''
    set -l nargs 0
    set -l verb 0
    set -l tail
    set -l pending ''
    for x in $tokens[2..-1]
        if test -n "$pending"
            test "$pending" = --config; and set __rnx_config $x
            test "$pending" = --node; and set __rnx_node $x
            set pending ''
            continue
        end
        if test $verb = 1
            set -a tail $x
            set nargs (math $nargs + 1)
            continue
        end
        switch $x
            case --
                test -n "$cmd"; and set verb 1
            case '--config=*'
                set __rnx_config (string split -m1 -f2 = -- $x)
            case '--node=*'
                set __rnx_node (string split -m1 -f2 = -- $x)
            case '-*'
                if not string match -q -- '*=*' $x; and __rnx_valued "$cmd" $x
                    set pending $x
                end
            case '*'
                if test -z "$cmd"
                    set cpath (string trim -- "$cpath $x")
                    __rnx_is_cmd "$cpath"; and set cmd $cpath
                else
                    set -l a (__rnx_arg "$cmd" $nargs)
                    if test "$a[2]" = verbatim
                        set verb 1
                        set tail $x
                    end
                    set nargs (math $nargs + 1)
                end
        end
    end

    if test -n "$pending"
        __rnx_value_cands "$cmd" $pending ''
    else if test $verb = 0; and string match -q -- '-*=*' $cur
        set -l f (string split -m1 -f1 = -- $cur)
        __rnx_valued "$cmd" $f; and __rnx_value_cands "$cmd" $f "$f="
    else if test $verb = 0; and string match -q -- '-*' $cur
        if test -n "$cmd"
            __rnx_flags "$cmd"
        else
            __rnx_flags ''
        end
    else if test -z "$cmd"
        __rnx_next "$cpath"
    else
        set -l a (__rnx_arg "$cmd" $nargs)
        if test "$a[1]" = commands
            __rnx_next (string join ' ' -- $tail)
        else if test $verb = 1; and test (count $tail) -gt 0
            # The job's own command line: complete it as if it ran here.
            complete -C (string join ' ' -- $tail (string escape -- $cur))
        else if test "$a[2]" = verbatim
            __fish_complete_command
        else
            printf '%s\n' $a[3..-1]
            if test -n "$a[1]"; and test "$a[1]" != -
                __rnx_list $a[1] $__rnx_config $__rnx_node
            end
        end
    end
end

complete -c rnx -e
complete -c rnx -f -a '(__rnx_complete)'
`;

/** The fish completion script. */
export function fishScript(m: CompletionModel, version: string): string {
  return [
    `# fish completion for rnx ${version}, generated by \`rnx completion fish\` from its command definitions.`,
    '# Load it now: rnx completion fish | source; for good: save it as ~/.config/fish/completions/rnx.fish',
    '# (the packages install /usr/share/fish/vendor_completions.d/rnx.fish).',
    data(m),
    ENGINE.trimStart(),
  ].join('\n');
}
