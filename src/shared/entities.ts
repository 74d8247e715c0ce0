/**
 * The words scripts rely on: every malformed name or id is refused as
 * `invalid <kind> <id|name> '<input>': <why>` and every unknown one as
 * `<kind> '<name>' not found (see '<list command>')`, for jobs, volumes, networks and the things
 * later releases bring (runtimes, workflows, schedules). Daemon and client both use these.
 */
import { InvalidArgumentError, NotFoundError } from './errors';
import { printable } from './ids';

/** Things users name, what identifies them, and the command that lists them. */
export const ENTITIES = {
  job: { noun: 'job id', list: 'rnx list' },
  volume: { noun: 'volume name', list: 'rnx volume list' },
  network: { noun: 'network name', list: 'rnx network list' },
  runtime: { noun: 'runtime name', list: 'rnx runtime list' },
  workflow: { noun: 'workflow id', list: 'rnx workflow list' },
  schedule: { noun: 'schedule id', list: 'rnx schedule list' },
} as const;

/** One of ENTITIES. */
export type EntityKind = keyof typeof ENTITIES;

/** "invalid volume name 'a/b': use 1-63 characters of …". */
export function invalidName(kind: EntityKind, input: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid ${ENTITIES[kind].noun} '${printable(input)}': ${why}`);
}

/** "job '3f2a' not found (see 'rnx list')", then "; <hint>" when given. */
export function notFound(kind: EntityKind, name: string, hint?: string): NotFoundError {
  return new NotFoundError(`${kind} '${printable(name)}' not found (see '${ENTITIES[kind].list}')${hint ? `; ${hint}` : ''}`);
}
