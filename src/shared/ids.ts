/**
 * Job ids are UUIDv4. Users may give any unique prefix of 4 or more characters; the daemon
 * resolves it (src/daemon/jobs/manager.ts) so that every client gets the same rules.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from './errors';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PREFIX = /^[0-9a-f-]{4,36}$/;

/** A new random job id. */
export function newJobId(): string {
  return randomUUID();
}

/** True for a full, lowercase UUIDv4. */
export function isJobId(s: string): boolean {
  return UUID_V4.test(s);
}

/** Check a user-given id or prefix; returns it lower-cased or throws a clear error. */
export function checkIdPrefix(input: string): string {
  const s = input.trim().toLowerCase();
  if (s.length === 0) throw new InvalidArgumentError('a job id is required (see \'rnx list\')');
  // The wording is shared with volumes and networks (entities.ts); spelled out here because entities.ts imports this file.
  if (s.length < 4) throw new InvalidArgumentError(`invalid job id '${printable(input)}': too short; give at least 4 characters of the id (see 'rnx list')`);
  if (!PREFIX.test(s)) throw new InvalidArgumentError(`invalid job id '${printable(input)}': ids are UUIDs like 3f2a9c1e-… (see 'rnx list')`);
  return s;
}

/** Make user input safe to echo in one line of an error message. */
export function printable(s: string, max = 64): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}
