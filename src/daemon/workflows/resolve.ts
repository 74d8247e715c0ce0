/** Workflow ids as users give them: a full id or a unique prefix of 4+ characters (as job ids). */
import { invalidName, notFound } from '../../shared/entities';
import { InvalidArgumentError } from '../../shared/errors';
import { isJobId } from '../../shared/ids';

const PREFIX = /^[0-9a-f-]{4,36}$/;

/** Resolve `ref` with `exists` (full ids) and `withPrefix` (at most n ids starting with a prefix). */
export function resolveWorkflowId(ref: string, exists: (id: string) => boolean, withPrefix: (prefix: string, n: number) => string[]): string {
  const s = ref.trim().toLowerCase();
  if (s === '') throw new InvalidArgumentError("a workflow id is required (see 'rnx workflow list')");
  if (s.length < 4) throw invalidName('workflow', ref, "too short; give at least 4 characters of the id (see 'rnx workflow list')");
  if (!PREFIX.test(s)) throw invalidName('workflow', ref, "ids are UUIDs like 3f2a9c1e-… (see 'rnx workflow list')");
  if (isJobId(s) && exists(s)) return s;
  const ids = withPrefix(s, 6);
  if (ids.length === 0) throw notFound('workflow', s);
  if (ids.length > 1) throw new InvalidArgumentError(`workflow id '${s}' is ambiguous: it matches ${ids.length > 5 ? 'more than 5' : ids.length} workflows; give more characters`);
  return ids[0]!;
}
