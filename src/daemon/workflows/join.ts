/**
 * Requirements of a job added to a running workflow (RunJobRequest.requirements, v2.3.x): each is
 * a job of the workflow — by name, by the id of one of its attempts or a unique prefix of one —
 * with a state, or an expression over the workflow's job names.
 */
import type { JobRequirement } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import { parseEndStates, parseExpression, type Requirement, type RequirementSpec } from '../../shared/workflow/expression';
import type { WorkflowJobRecord } from '../../store/workflow-record';

/** Parse and resolve the requirements against the workflow's jobs; throws naming the bad one. */
export function joinRequirements(list: JobRequirement[], jobs: WorkflowJobRecord[]): RequirementSpec[] {
  const names = jobs.map((j) => j.name);
  const nameOf = (ref: string): string => {
    if (names.includes(ref)) return ref;
    const r = ref.toLowerCase();
    const hits = r.length >= 4 ? jobs.filter((j) => j.attempts.some((a) => a.startsWith(r)) || j.jobId.startsWith(r)) : [];
    if (hits.length === 1) return hits[0]!.name;
    throw new InvalidArgumentError(`requirements: '${printable(ref)}' is not a job of this workflow (its jobs: ${names.join(', ') || 'none'})`);
  };
  return list.map((q, i) => {
    try {
      if (q.expression) {
        const req = rename(parseExpression(q.expression), nameOf);
        return { text: q.expression.trim(), req };
      }
      if (!q.jobUuid) throw new Error('give jobUuid (a job name or id of the workflow) with a status, or an expression');
      const job = nameOf(q.jobUuid);
      return { text: `${job}: ${q.status.toUpperCase()}`, req: { op: 'is', job, states: parseEndStates(q.status) } };
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      throw new InvalidArgumentError(`requirements[${i}]: ${(err as Error).message}`);
    }
  });
}

function rename(r: Requirement, nameOf: (ref: string) => string): Requirement {
  if (r.op === 'is') return { ...r, job: nameOf(r.job) };
  return { op: r.op, items: r.items.map((x) => rename(x, nameOf)) };
}
