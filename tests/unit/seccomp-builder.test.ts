/**
 * The builder seccomp profile of runtime builds: everything the job policy refuses stays refused,
 * except namespace creation and mounting (which a build needs inside its own user namespace);
 * setns stays refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProgram, SECCOMP_RET } from '../../src/sandbox/seccomp/compile';
import { BUILDER_POLICY, CLONE_NS_FLAGS, JOB_POLICY } from '../../src/sandbox/seccomp/policy';
import { AUDIT_ARCH, NR_X86_64, type SyscallName } from '../../src/sandbox/seccomp/syscalls-x86_64';
import { runFilter } from './seccomp-interp';

const builder = buildProgram(BUILDER_POLICY);
const job = buildProgram(JOB_POLICY);
const EPERM = SECCOMP_RET.ERRNO | 1;
const call = (p: Buffer, name: SyscallName, ...args: number[]) => runFilter(p, { nr: NR_X86_64[name], arch: AUDIT_ARCH.X86_64, args });

test('a build may unshare, mount and clone into new namespaces; a job may not', () => {
  for (const name of ['unshare', 'mount', 'umount2', 'pivot_root', 'mount_setattr', 'open_tree', 'move_mount'] as const) {
    assert.is(call(builder, name, CLONE_NS_FLAGS.NEWUSER), SECCOMP_RET.ALLOW, `builder ${name}`);
    assert.is(call(job, name, CLONE_NS_FLAGS.NEWUSER), EPERM, `job ${name}`);
  }
  assert.is(call(builder, 'clone', CLONE_NS_FLAGS.NEWUSER | CLONE_NS_FLAGS.NEWNS), SECCOMP_RET.ALLOW);
  assert.is(call(job, 'clone', CLONE_NS_FLAGS.NEWUSER), EPERM);
});

test('setns and everything else the job policy refuses stays refused for a build', () => {
  assert.is(call(builder, 'setns'), EPERM);
  for (const name of ['keyctl', 'bpf', 'ptrace', 'kexec_load', 'init_module', 'io_uring_setup', 'userfaultfd', 'perf_event_open', 'open_by_handle_at', 'reboot'] as const) {
    assert.is(call(builder, name), EPERM, name);
  }
  assert.is(call(builder, 'ioctl', 0, 0x5412), EPERM, 'TIOCSTI');
  assert.is(call(builder, 'clone3'), SECCOMP_RET.ERRNO | 38, 'clone3 still ENOSYS');
  assert.is(runFilter(builder, { nr: 59, arch: AUDIT_ARCH.I386 }), SECCOMP_RET.KILL_PROCESS, 'foreign arch killed');
});

test.run();
