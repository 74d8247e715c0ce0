/**
 * The job's syscall policy, as data (compile.ts turns it into BPF). A deny-list, like Docker's
 * default profile seen from a container without capabilities: everything not named here is
 * allowed, and the kernel's own permission checks still apply to it (the job has no
 * capabilities at all, privileges.ts). Refusals return EPERM rather than killing, so programs
 * that probe for a feature degrade gracefully instead of dying.
 *
 * Argument tests look only at the LOW 32 BITS of an argument, on purpose: every argument tested
 * here is declared `int`/`unsigned int` in the kernel, or cut with lower_32_bits() (clone flags),
 * so the kernel ignores the high half. A test on the full 64-bit value would let a caller slip
 * past it by setting high bits the kernel then drops (CVE-2019-10063, TIOCSTI in flatpak).
 *
 * Deliberate differences from Docker's default profile: ptrace, process_vm_readv/writev
 * (Docker allows them on kernels ≥ 4.8; refused here, so strace and gdb do not work in a job),
 * name_to_handle_at and AF_ALG sockets are refused; io_uring is refused (recent Docker releases
 * block it too). clock_adjtime and adjtimex stay allowed as in Docker: glibc's adjtimex() and
 * ntp_gettime() read the clock through them, changing it needs CAP_SYS_TIME, which the job
 * lacks, and the mode field is in memory a filter cannot read.
 */
import * as os from 'node:os';
import { CLONE } from '../clone-flags';
import { AUDIT_ARCH, type SyscallName } from './syscalls-x86_64';

const { EPERM, ENOSYS } = os.constants.errno;

/** What the filter answers for a call. */
export type Action = { kind: 'allow' } | { kind: 'errno'; errno: number } | { kind: 'kill-process' };

/** A test on the low 32 bits of one argument (see the module comment for why only those). */
export type ArgTest =
  | { arg: number; anyBitOf: number }
  | { arg: number; oneOf: readonly number[] }
  | { arg: number; noneOf: readonly number[] };

/** One line of the policy: `syscalls` get `action` (only when `when` holds, if given). */
export interface Rule {
  syscalls: readonly SyscallName[];
  action: Action;
  when?: ArgTest;
  /** Why, for the reader and for the report of a refused call. */
  why: string;
}

/** The whole policy: ABI checks first, then the rules, then the default. */
export interface Policy {
  /** The only audit arch allowed through. */
  nativeArch: number;
  /** Any other arch (i386 via int 0x80, or anything else): its numbers mean other calls. */
  foreignArch: Action;
  /** x32 calls (nr with X32_SYSCALL_BIT) under the native arch value. */
  x32: Action;
  rules: readonly Rule[];
  defaultAction: Action;
}

const deny: Action = { kind: 'errno', errno: EPERM };

/** clone(2) namespace flags (linux/sched.h). */
export const CLONE_NS_FLAGS = CLONE;

/** Every namespace flag clone(2) accepts; CLONE_NEWTIME (0x80) cannot be one, it is in CSIGNAL there. */
export const CLONE_NS_MASK = Object.values(CLONE_NS_FLAGS).reduce((a, b) => a | b, 0);

/** ioctl requests that push input into a terminal. */
export const TTY_INJECT = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c } as const;

/** Socket families refused. */
export const REFUSED_FAMILIES = { AF_ALG: 38, AF_VSOCK: 40 } as const;

/** personality(2) values Docker allows: PER_LINUX, PER_LINUX32, each with UNAME26, and the query. */
export const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] as const;

/** Mount and namespace calls: refused to jobs, allowed (but setns) to runtime builds. */
const MOUNT_SYSCALLS: readonly SyscallName[] = ['unshare', 'mount', 'umount2', 'pivot_root', 'move_mount', 'open_tree', 'open_tree_attr',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr'];

const NAMESPACE_RULE: Rule = {
  why: 'new namespaces and mounts: the job sees the system the sandbox built, nothing else',
  syscalls: ['setns', ...MOUNT_SYSCALLS],
  action: deny,
};

const CLONE_NS_RULE: Rule = {
  why: 'clone(2) with namespace flags (user namespaces need no capability); plain fork and threads pass',
  syscalls: ['clone'],
  when: { arg: 0, anyBitOf: CLONE_NS_MASK },
  action: deny,
};

/** The job's policy. */
export const JOB_POLICY: Policy = {
  nativeArch: AUDIT_ARCH.X86_64,
  foreignArch: { kind: 'kill-process' },
  // ENOSYS, not a kill: it is what a kernel without x32 enabled answers (Debian's default, and
  // kernels built without CONFIG_X86_X32_ABI), so a program probing for x32 simply moves on. The
  // call never runs either way: the rule tables below are for native numbers only.
  x32: { kind: 'errno', errno: ENOSYS },
  rules: [
    NAMESPACE_RULE,
    CLONE_NS_RULE,
    {
      why: "clone3(2) keeps its flags in memory a filter cannot read; ENOSYS makes glibc fall back to clone(2), which is checked",
      syscalls: ['clone3'],
      action: { kind: 'errno', errno: ENOSYS },
    },
    {
      why: 'kernel keyrings are not namespaced',
      syscalls: ['add_key', 'request_key', 'keyctl'],
      action: deny,
    },
    {
      why: 'large kernel attack surfaces a job does not need',
      syscalls: ['bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'fanotify_init'],
      action: deny,
    },
    {
      why: 'host administration: modules, kexec, reboot, swap, accounting, quotas, logs, hardware ports, host names',
      syscalls: ['init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module',
        'kexec_load', 'kexec_file_load', 'reboot', 'swapon', 'swapoff', 'acct', 'quotactl', 'quotactl_fd', 'nfsservctl',
        'syslog', 'vhangup', 'iopl', 'ioperm', 'sethostname', 'setdomainname'],
      action: deny,
    },
    {
      why: 'setting the clock',
      syscalls: ['settimeofday', 'clock_settime'],
      action: deny,
    },
    {
      why: 'inspecting or changing other processes',
      syscalls: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise'],
      action: deny,
    },
    {
      why: 'NUMA memory policy (CAP_SYS_NICE territory in Docker)',
      syscalls: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind', 'move_pages'],
      action: deny,
    },
    {
      why: 'file handles open any inode of a mount, bypassing the directory tree (the "shocker" escape)',
      syscalls: ['name_to_handle_at', 'open_by_handle_at'],
      action: deny,
    },
    {
      why: 'obsolete interfaces',
      syscalls: ['uselib', 'ustat', 'sysfs', '_sysctl', 'lookup_dcookie'],
      action: deny,
    },
    {
      why: 'pushing input into a terminal (TIOCSTI; TIOCLINUX pastes on virtual consoles, CVE-2023-28100)',
      syscalls: ['ioctl'],
      when: { arg: 1, oneOf: Object.values(TTY_INJECT) },
      action: deny,
    },
    {
      why: 'kernel crypto (AF_ALG) and VM sockets (AF_VSOCK, the hypervisor\'s host)',
      syscalls: ['socket'],
      when: { arg: 0, oneOf: Object.values(REFUSED_FAMILIES) },
      action: deny,
    },
    {
      why: 'execution domains other than Linux (and ADDR_NO_RANDOMIZE and friends)',
      syscalls: ['personality'],
      when: { arg: 0, noneOf: PERSONALITY_ALLOWED },
      action: deny,
    },
  ],
  defaultAction: { kind: 'allow' },
};

/**
 * Runtime builds (src/daemon/runtimes/build-script.ts): the job's policy, except that creating
 * namespaces and mounting are allowed. A build runs as an unprivileged host uid with no
 * capabilities; it creates a user namespace of its own (its uid 0 maps to an unprivileged id
 * range) and mount namespaces owned by it, and there the kernel's user-namespace rules confine
 * these calls: mounts only in namespaces it owns, never a change to a mount it inherited locked
 * from the sandbox (read-only stays read-only, nothing covered can be uncovered). setns stays
 * refused: a build has nothing to join.
 */
export const BUILDER_POLICY: Policy = {
  ...JOB_POLICY,
  rules: [
    { why: 'joining other namespaces: a build only creates its own', syscalls: ['setns'], action: deny },
    ...JOB_POLICY.rules.filter((r) => r !== NAMESPACE_RULE && r !== CLONE_NS_RULE),
  ],
};
