/**
 * Declarative flags and arguments for rnx commands. Each helper declares a clipanion option (so
 * clipanion does all the parsing) and attaches what help, shell completion and the web console
 * need to know about it: names, placeholder, one-line description, allowed values, help section.
 * `commandSpec()` in spec.ts reads them back from a command class.
 *
 *   maxMemory = Flag.string('--max-memory', 'MB', 'Memory limit; past it the job is OOM-killed', { section: 'Limits' });
 *   env = Flag.list('-e,--env', 'KEY=VALUE', 'Environment variable for the job (repeatable)');
 *   wait = Flag.boolean('-w,--wait', 'Stream the output and exit with the job\'s exit code');
 *   id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters', { complete: 'jobs' });
 *
 * `complete` tells shell completion (src/cli/completion/) where a value's candidates come from;
 * flags named --node, --volume, --network, --runtime and placeholders PATH and FILE get theirs
 * without it (completion/model.ts); `values` lists an argument's fixed values.
 */
import { Option } from 'clipanion';

/** Where shell completion finds candidates for a value: the server (asked with a short timeout), the config, or the file system. */
export type CompletionSource = 'jobs' | 'schedules' | 'volumes' | 'networks' | 'runtimes' | 'nodes' | 'commands' | 'files' | 'dirs';

/** What rnx knows about one flag of a command. */
export interface FlagSpec {
  /** Property of the command that holds the value (filled in by commandSpec). */
  key: string;
  /** Every spelling, short first: ['-e', '--env']. */
  names: string[];
  /** What the value looks like in help ('MB', 'KEY=VALUE'); absent for on/off flags. */
  placeholder?: string;
  /** One line, for help and completion. */
  description: string;
  kind: 'string' | 'list' | 'boolean';
  /** The values the flag accepts, when they are a fixed set (for completion and help). */
  values?: readonly string[];
  /** Help groups flags under this heading. */
  section: string;
  /** Parsed but not shown in help (flags of features a later release brings). */
  hidden: boolean;
  /** Set for a flag of a feature this release does not have: the flag is refused naming it. */
  notYet?: string;
  /** Where completion finds the flag's values, when they are not a fixed set. */
  complete?: CompletionSource;
}

/** What rnx knows about one positional argument. */
export interface ArgSpec {
  key: string;
  /** As shown in usage lines: 'ID', 'NAME', 'COMMAND'. */
  name: string;
  description: string;
  required: boolean;
  /** Takes every remaining word verbatim, flags included (the job's own command line). */
  verbatim: boolean;
  /** Where completion finds candidates for it. */
  complete?: CompletionSource;
  /** The values it accepts, when they are a fixed set (for completion). */
  values?: readonly string[];
}

/** Where the spec hides on the option object clipanion hands back. */
export const SPEC = Symbol('rnx/spec');

/** Options of a flag helper. */
export interface FlagOptions {
  section?: string;
  values?: readonly string[];
  hidden?: boolean;
  complete?: CompletionSource;
}

/** Options of an argument helper. */
export interface ArgOptions {
  complete?: CompletionSource;
  values?: readonly string[];
}

/** The heading of flags that declare none. */
export const DEFAULT_SECTION = 'Flags';

/** Help section of the flags every client command has (--config, --node, --json). */
export const GLOBAL_SECTION = 'Global flags';

function flagSpec(kind: FlagSpec['kind'], names: string, placeholder: string | undefined, description: string, o: FlagOptions & { notYet?: string }): FlagSpec {
  return {
    key: '',
    names: names.split(','),
    placeholder,
    description,
    kind,
    values: o.values,
    section: o.section ?? DEFAULT_SECTION,
    hidden: o.hidden ?? false,
    notYet: o.notYet,
    complete: o.complete,
  };
}

function tag<T>(option: T, spec: FlagSpec | ArgSpec): T {
  return Object.assign(option as object, { [SPEC]: spec }) as T;
}

/** Flag declarations. */
export const Flag = {
  /** A flag with a value: `--node NAME` or `--node=NAME`; undefined when not given. */
  string(names: string, placeholder: string, description: string, o: FlagOptions = {}): string | undefined {
    return tag(Option.String(names, { description, hidden: o.hidden }), flagSpec('string', names, placeholder, description, o));
  },

  /** A flag with a value and a default. */
  stringWithDefault(names: string, placeholder: string, initial: string, description: string, o: FlagOptions = {}): string {
    return tag(Option.String(names, initial, { description, hidden: o.hidden }), flagSpec('string', names, placeholder, description, o));
  },

  /** A repeatable flag with a value: every occurrence, in order ([] when not given). */
  list(names: string, placeholder: string, description: string, o: FlagOptions = {}): string[] {
    return tag(Option.Array(names, [], { description, hidden: o.hidden }), flagSpec('list', names, placeholder, description, o));
  },

  /** An on/off flag; `--no-NAME` turns a long flag off again. */
  boolean(names: string, description: string, o: FlagOptions & { initial?: boolean } = {}): boolean {
    return tag(Option.Boolean(names, o.initial ?? false, { description, hidden: o.hidden }), flagSpec('boolean', names, undefined, description, o));
  },

  /**
   * A flag of a feature this release does not have (`feature` names it): parsed with or without a
   * value, hidden from help, and refused with a message naming the feature. Replace the line with
   * the real flag when the feature lands.
   */
  notYet(names: string, feature: string): unknown {
    return tag(Option.String(names, { tolerateBoolean: true, hidden: true }), flagSpec('string', names, 'VALUE', `(${feature}: not in this release)`, { hidden: true, notYet: feature }));
  },
};

/** Positional argument declarations (order matters: declare them in command-line order). */
export const Arg = {
  /** A required word: `rnx status ID`. */
  required(name: string, description: string, o: ArgOptions = {}): string {
    return tag(Option.String({ name }), { key: '', name, description, required: true, verbatim: false, complete: o.complete, values: o.values });
  },

  /** An optional word: `rnx delete [ID]`. */
  optional(name: string, description: string, o: ArgOptions = {}): string | undefined {
    return tag(Option.String({ name, required: false }), { key: '', name, description, required: false, verbatim: false, complete: o.complete, values: o.values });
  },

  /**
   * The rest of the command line, verbatim, flags included, from the first word that is not one
   * of ours (or after `--`): the job's own argv, as `yarn run` passes a script's arguments.
   */
  verbatim(name: string, description: string, o: { required?: number } & ArgOptions = {}): string[] {
    const required = o.required ?? 0;
    return tag(Option.Proxy({ name, required }), { key: '', name, description, required: required > 0, verbatim: true, complete: o.complete, values: o.values });
  },
};
