/** Resource limits applied to the job before execve; core dumps are always off unless asked for. */
import { JobletError } from '../shared/errors';
import { getrlimit, RLIM_INFINITY, setrlimit } from './libc/proc';

/** RLIMIT_* numbers (asm-generic/resource.h) by the name used in JobSpec.rlimits. */
export const RLIMIT: Record<string, number> = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
  LOCKS: 10,
  SIGPENDING: 11,
  MSGQUEUE: 12,
  NICE: 13,
  RTPRIO: 14,
  RTTIME: 15,
};

/** Defaults applied before the spec's own limits: no core dumps (they can leak job memory to the host). */
export const DEFAULT_RLIMITS: Record<string, [number, number]> = { CORE: [0, 0] };

/** Soft NOFILE limit when the spec sets none: Node raised its own soft limit to the hard one, and
 * select()-based programs break above 1024. */
export const DEFAULT_NOFILE_SOFT = 1024n;

/** Applies DEFAULT_RLIMITS then `limits` (a negative value means unlimited). */
export function applyRlimits(limits: Record<string, [number, number]>): void {
  if (!('NOFILE' in limits)) {
    const [, hard] = getrlimit(RLIMIT.NOFILE as number, 'NOFILE');
    setrlimit(RLIMIT.NOFILE as number, 'NOFILE', hard < DEFAULT_NOFILE_SOFT ? hard : DEFAULT_NOFILE_SOFT, hard);
  }
  for (const [name, pair] of Object.entries({ ...DEFAULT_RLIMITS, ...limits })) {
    const resource = RLIMIT[name];
    if (resource === undefined) {
      throw new JobletError('INVALID_ARGUMENT', `unknown rlimit '${name}' (known: ${Object.keys(RLIMIT).join(', ')})`);
    }
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(Number.isSafeInteger) || (pair[0] >= 0 && pair[1] >= 0 && pair[0] > pair[1])) {
      throw new JobletError('INVALID_ARGUMENT', `rlimit ${name} must be [soft, hard] integers with soft ≤ hard, got ${JSON.stringify(pair)}`);
    }
    const [soft, hard] = pair.map((v) => (v < 0 ? RLIM_INFINITY : BigInt(v)));
    if (soft > hard) throw new JobletError('INVALID_ARGUMENT', `rlimit ${name}: soft limit is unlimited but hard limit is not`);
    setrlimit(resource, name, soft, hard);
  }
}
