/** seccomp(2) filter installation and prctl(PR_GET_SECCOMP). */
import { JobletError } from '../../shared/errors';
import { prctl } from './creds';
import { koffi } from './koffi';
import { check, syscall } from './libc';

const SYS_SECCOMP = 317; // x86_64; glibc has no wrapper
const SECCOMP_SET_MODE_FILTER = 1;
const PR_GET_SECCOMP = 21;

/** Seccomp modes as PR_GET_SECCOMP and /proc/<pid>/status report them. */
export const SECCOMP_MODE = { DISABLED: 0, STRICT: 1, FILTER: 2 } as const;

let fprogPointer: unknown;

/**
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &{len, filter}): adds `program` (encoded struct
 * sock_filter array) to the calling thread's filters. The kernel copies the program, so the
 * buffer need not outlive the call. Without CAP_SYS_ADMIN it needs no_new_privs (else EACCES).
 */
export function seccompSetModeFilter(program: Buffer, flags = 0): void {
  const len = program.length / 8;
  if (!Number.isInteger(len) || len < 1 || len > 0xffff) {
    throw new JobletError('INTERNAL', `seccomp program of ${program.length} bytes is not 1–65535 instructions of 8 bytes`);
  }
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }; koffi passes the Buffer as the pointer.
  fprogPointer ??= koffi().pointer(koffi().struct({ len: 'uint16', filter: 'void *' }));
  const result = syscall(SYS_SECCOMP, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', flags, fprogPointer, { len, filter: program });
  check('seccomp', `SECCOMP_SET_MODE_FILTER, ${flags}, {len: ${len}}`, result);
}

/** The calling thread's seccomp mode (SECCOMP_MODE). */
export function seccompMode(): number {
  return prctl(PR_GET_SECCOMP);
}
