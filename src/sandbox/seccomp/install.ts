/**
 * Installs the job's seccomp filter (policy.ts compiled by compile.ts). init.ts calls it as the
 * very last step before execve:
 * - after no_new_privs, which is what lets a process without CAP_SYS_ADMIN load a filter, and
 *   which also guarantees the filter cannot be shed through a setuid binary;
 * - after every other setup call, so the policy need not leave mount/unshare/setns open for us.
 *
 * On the calling (main) thread only, without SECCOMP_FILTER_FLAG_TSYNC, and that is enough: a
 * filter is inherited by every child and survives execve, and execve first kills every other
 * thread of the process (de_thread), so the command starts with exactly one thread: the filtered
 * one. Node's other threads (libuv pool, V8 platform) never run job code and die at execve.
 */
import { JobletError } from '../../shared/errors';
import { SECCOMP_MODE, seccompMode, seccompSetModeFilter } from '../libc/seccomp';
import { buildProgram } from './compile';
import { BUILDER_POLICY, JOB_POLICY } from './policy';

const programs = new Map<'job' | 'builder', Buffer>();

/**
 * Compiles a profile's policy (JOB_POLICY unless 'builder') once per process; a warm init compiles
 * JOB_POLICY before any job exists (it depends on no spec).
 */
export function prepareJobFilter(profile: 'job' | 'builder' = 'job'): Buffer {
  let program = programs.get(profile);
  if (!program) {
    program = buildProgram(profile === 'builder' ? BUILDER_POLICY : JOB_POLICY);
    programs.set(profile, program);
  }
  return program;
}

/** Loads the profile's policy on the calling thread and checks that the thread is now in filter mode. */
export function installJobFilter(profile: 'job' | 'builder' = 'job'): void {
  if (profile !== 'job' && profile !== 'builder') throw new JobletError('INVALID_ARGUMENT', `unknown seccomp profile '${String(profile)}'`);
  seccompSetModeFilter(prepareJobFilter(profile));
  const mode = seccompMode();
  if (mode !== SECCOMP_MODE.FILTER) throw new JobletError('INTERNAL', `seccomp mode is ${mode} after installing the filter, expected ${SECCOMP_MODE.FILTER}`);
}
