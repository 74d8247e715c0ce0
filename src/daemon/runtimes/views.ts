/**
 * Runtimes as the API shows them (RuntimeView): an installed runtime with its manifest, or a
 * built-in recipe available to install; plus the small rules about runtime references and the
 * message a runtime in use gets.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import type { Installed } from './installed';
import type { BuildPlan } from './recipes';

/** A runtime as the API shows it: installed, or a built-in recipe available to install. */
export interface RuntimeView {
  name: string;
  version: string;
  status: 'installed' | 'available' | 'installing' | 'broken';
  builtin: boolean;
  aliases: string[];
  description: string;
  language: string;
  languageVersion: string;
  installed?: Installed;
  plan?: BuildPlan;
  /** Jobs using it now. */
  jobs: number;
}

/** The view of an installed runtime (`plan`: its built-in recipe, if it is one). */
export function installedView(e: Installed, plan: BuildPlan | undefined): RuntimeView {
  const m = e.manifest;
  return {
    name: e.name,
    version: e.version,
    status: e.problem ? 'broken' : 'installed',
    builtin: m?.builtin ?? !!plan,
    aliases: m?.aliases ?? plan?.aliases ?? [],
    description: m?.description ?? plan?.description ?? '',
    language: m?.language ?? plan?.language ?? '',
    languageVersion: m?.languageVersion ?? plan?.languageVersion ?? '',
    installed: e,
    plan,
    jobs: e.users.size,
  };
}

/** The view of a built-in that is not installed (or being installed). */
export function recipeView(plan: BuildPlan, installing: boolean): RuntimeView {
  return {
    name: plan.name,
    version: plan.version,
    status: installing ? 'installing' : 'available',
    builtin: true,
    aliases: plan.aliases,
    description: plan.description,
    language: plan.language,
    languageVersion: plan.languageVersion,
    plan,
    jobs: 0,
  };
}

/** Refuses a runtime that jobs or builds hold: it cannot be removed or replaced now. */
export function checkUnused(e: Installed, what: string): void {
  if (e.users.size === 0) return;
  const users = [...e.users];
  const jobs = users.filter((u) => !u.startsWith('build of '));
  const builds = users.filter((u) => u.startsWith('build of '));
  const parts = [
    ...(jobs.length ? [`${jobs.length} running job${jobs.length > 1 ? 's' : ''} (${jobs.map((id) => id.slice(0, 8)).join(', ')})`] : []),
    ...(builds.length ? [`the ${builds.join(', ')}`] : []),
  ];
  const them = users.length > 1 ? 'them' : 'it';
  throw new FailedPreconditionError(`runtime ${e.name} ${e.version} is in use by ${parts.join(' and ')} and cannot be ${what}; stop ${them} or wait for ${them} to finish`);
}

/** A runtime reference as a user may give it: bounded, printable, no path tricks. */
export function checkRef(ref: string): void {
  if (!ref.trim()) throw new InvalidArgumentError('a runtime name is required, e.g. python-3.11-ml (see \'rnx runtime list\')');
  if (ref.length > 130 || /[\0-\x1f/\\]/.test(ref)) throw new InvalidArgumentError(`'${printable(ref)}' is not a runtime name: use a name such as python-3.11-ml, an alias such as python:3.11-ml, or NAME@VERSION`);
}

/** Numeric-aware comparison of X.Y.Z versions. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}
