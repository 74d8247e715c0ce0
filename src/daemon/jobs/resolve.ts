/** Job ids as users give them: a full id or a unique prefix of 4+ characters (same rules for every client). */
import { notFound } from '../../shared/entities';
import { InvalidArgumentError } from '../../shared/errors';
import { checkIdPrefix, isJobId } from '../../shared/ids';

/** Resolve `idOrPrefix` with `exists` (full ids) and `withPrefix` (at most n ids starting with a prefix). */
export function resolveJobId(idOrPrefix: string, exists: (id: string) => boolean, withPrefix: (prefix: string, n: number) => string[]): string {
  const prefix = checkIdPrefix(idOrPrefix);
  if (isJobId(prefix) && exists(prefix)) return prefix;
  const ids = withPrefix(prefix, 6);
  if (ids.length === 0) throw notFound('job', prefix);
  if (ids.length > 1) {
    throw new InvalidArgumentError(`job id '${prefix}' is ambiguous: it matches ${ids.length > 5 ? 'more than 5' : ids.length} jobs (${ids.slice(0, 5).map((i) => i.slice(0, 13)).join(', ')}…); give more characters`);
  }
  return ids[0]!;
}
