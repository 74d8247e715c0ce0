/**
 * The job's seccomp program, run in a BPF interpreter against fake seccomp_data: the arch and
 * x32 refusals, every denied call, the argument tests (low 32 bits only), and that everything
 * else is allowed.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BpfAssemblyError, decode, encode, MAX_COND_JUMP } from '../../src/sandbox/seccomp/bpf';
import { buildProgram, compilePolicy, SECCOMP_RET } from '../../src/sandbox/seccomp/compile';
import { CLONE_NS_FLAGS, JOB_POLICY, PERSONALITY_ALLOWED, type Policy, type Rule } from '../../src/sandbox/seccomp/policy';
import { AUDIT_ARCH, NR_X86_64, type SyscallName, X32_SYSCALL_BIT } from '../../src/sandbox/seccomp/syscalls-x86_64';
import { runFilter } from './seccomp-interp';

const program = buildProgram(JOB_POLICY);
const ALLOW = SECCOMP_RET.ALLOW;
const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;
const KILL = SECCOMP_RET.KILL_PROCESS;
const X86_64 = AUDIT_ARCH.X86_64;

const call = (name: SyscallName, ...args: Array<bigint | number>): number => runFilter(program, { nr: NR_X86_64[name], arch: X86_64, args });
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
/** Argument values that must not change an unconditional verdict. */
const ARG_SAMPLES: Array<Array<bigint | number>> = [[], [0, 0, 0, 0, 0, 0], [0xffffffffffffffffn, 1n << 32n, 7, 0x5412, 38, 0x10000000]];

test('the program is small and ends in a return', () => {
  const insns = decode(program);
  assert.ok(insns.length > 50 && insns.length < 300, `${insns.length} instructions`);
  assert.is(insns[insns.length - 1]?.code, 0x06);
});

test('a foreign arch is killed, whatever the number (i386 int 0x80, aarch64, garbage)', () => {
  for (const arch of [AUDIT_ARCH.I386, AUDIT_ARCH.AARCH64, 0, 0xffffffff, X86_64 ^ 1]) {
    for (const nr of [0, 1, 39, 59, 272, 0x40000027]) {
      assert.is(runFilter(program, { nr, arch }), KILL, `arch ${hex(arch)} nr ${nr}`);
    }
  }
});

test('x32 numbers (and any number ≥ 0x40000000, e.g. -1) get ENOSYS, even for calls allowed natively', () => {
  for (const nr of [39, 59, 0, 272, 512, 547, 0x3fffffff]) {
    assert.is(runFilter(program, { nr: (X32_SYSCALL_BIT | nr) >>> 0, arch: X86_64 }), ENOSYS, `x32 nr ${nr}`);
  }
  assert.is(runFilter(program, { nr: -1, arch: X86_64 }), ENOSYS);
  assert.is(runFilter(program, { nr: 0x3fffffff, arch: X86_64 }), ALLOW, 'just below the x32 bit: an unknown native number, the kernel says ENOSYS itself');
});

test('every unconditional rule gives its verdict for any arguments', () => {
  const unconditional = JOB_POLICY.rules.filter((r) => !r.when);
  assert.ok(unconditional.flatMap((r) => r.syscalls).length >= 60);
  for (const rule of unconditional) {
    const want = rule.action.kind === 'errno' ? (SECCOMP_RET.ERRNO | rule.action.errno) >>> 0 : -1;
    for (const name of rule.syscalls) {
      for (const args of ARG_SAMPLES) assert.is(call(name, ...args), want, `${name}(${args.join(', ')})`);
    }
  }
});

test('the issue\'s list is refused with EPERM (clone3 with ENOSYS)', () => {
  const named: SyscallName[] = ['unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'keyctl', 'add_key', 'request_key', 'bpf',
    'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'userfaultfd', 'perf_event_open', 'kexec_load', 'kexec_file_load',
    'init_module', 'finit_module', 'delete_module', 'reboot', 'clock_settime', 'settimeofday', 'ptrace', 'open_by_handle_at',
    'fsopen', 'fsmount', 'fsconfig', 'fspick', 'move_mount', 'open_tree', 'open_tree_attr', 'mount_setattr', 'acct', 'swapon',
    'swapoff', 'syslog', 'iopl', 'ioperm', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'mbind', 'set_mempolicy',
    'get_mempolicy', 'move_pages', 'quotactl', 'lookup_dcookie', 'name_to_handle_at', 'uselib', 'ustat', 'sysfs', '_sysctl',
    'nfsservctl', 'create_module', 'get_kernel_syms', 'query_module'];
  for (const name of named) assert.is(call(name), EPERM, name);
  assert.is(call('clone3', 0, 88), ENOSYS);
});

test('every call no rule names is allowed, whatever its arguments', () => {
  const named = new Set<number>(JOB_POLICY.rules.flatMap((r) => r.syscalls.map((n) => NR_X86_64[n])));
  let checked = 0;
  for (let nr = 0; nr < 600; nr++) {
    if (named.has(nr)) continue;
    for (const args of ARG_SAMPLES) assert.is(runFilter(program, { nr, arch: X86_64, args }), ALLOW, `nr ${nr}`);
    checked++;
  }
  assert.ok(checked > 500);
  for (const name of ['fork', 'vfork', 'seccomp', 'adjtimex', 'clock_adjtime'] as const) assert.is(call(name), ALLOW, name);
});

test('clone: namespace flags in the low word are refused; fork, threads and high bits pass', () => {
  const SIGCHLD = 17;
  const THREAD = 0x3d0f00; // glibc pthread_create: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
  assert.is(call('clone', SIGCHLD), ALLOW, 'fork');
  assert.is(call('clone', 0x01200000 | SIGCHLD), ALLOW, 'glibc fork(): CHILD_SETTID|CHILD_CLEARTID');
  assert.is(call('clone', THREAD), ALLOW, 'thread');
  assert.is(call('clone', 0x80), ALLOW, 'CLONE_NEWTIME is CSIGNAL bits for clone(): an exit signal, not a namespace');
  for (const [name, flag] of Object.entries(CLONE_NS_FLAGS)) {
    assert.is(call('clone', flag | SIGCHLD), EPERM, name);
    assert.is(call('clone', BigInt(flag) | 0xffffffff00000000n), EPERM, `${name} with high bits`);
    // The kernel keeps only lower_32_bits(clone_flags): a flag in the high word creates nothing.
    assert.is(call('clone', (BigInt(flag) << 32n) | 17n), ALLOW, `${name} in the high word only`);
    assert.is(call('clone', SIGCHLD, flag), ALLOW, `${name} in arg1 (the stack) is not a flag`);
  }
});

test('ioctl TIOCSTI/TIOCLINUX: only the low 32 bits of the request count', () => {
  for (const req of [0x5412, 0x541c, 0x100005412n, 0xffffffff00005412n, 0xdead0000541cn]) {
    assert.is(call('ioctl', 0, req), EPERM, `request ${req.toString(16)}`);
  }
  for (const req of [0x5401 /* TCGETS */, 0x541b /* FIONREAD */, 0x5413 /* TIOCGWINSZ */, 0x541200000000n, 0x80045412]) {
    assert.is(call('ioctl', 0, req), ALLOW, `request ${req.toString(16)}`);
  }
  assert.is(call('ioctl', 0x5412, 0x5401), ALLOW, 'fd number 0x5412 is not the request');
});

test('socket: AF_ALG and AF_VSOCK refused (low 32 bits), other families allowed', () => {
  for (const family of [38, 40, 0x100000026n, 0xffffffff00000028n]) assert.is(call('socket', family, 1, 0), EPERM, `family ${family}`);
  for (const family of [1, 2, 10, 16, 17, 0x2600000000n]) assert.is(call('socket', family, 5, 0), ALLOW, `family ${family}`);
  assert.is(call('socket', 2, 38, 40), ALLOW, 'type and protocol are not the family');
});

test('personality: Docker\'s five values pass, anything else is refused', () => {
  for (const p of PERSONALITY_ALLOWED) assert.is(call('personality', p), ALLOW, hex(p));
  assert.is(call('personality', 0x100000000n), ALLOW, 'high word dropped by the kernel: PER_LINUX');
  for (const p of [0x0040000 /* ADDR_NO_RANDOMIZE */, 0x4, 0x1, 0x20000 | 0x0040000, 0xfffffffe, 0x0400000 /* READ_IMPLIES_EXEC */]) {
    assert.is(call('personality', p), EPERM, hex(p));
  }
});

test('the syscall numbers match <asm/unistd_64.h>', () => {
  const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  if (!fs.existsSync(header)) {
    if (process.env.JOBLET_ALLOW_SKIP === '1') return console.log(`SKIP: ${header} missing (apt-get install linux-libc-dev)`);
    throw new Error(`${header} missing (apt-get install linux-libc-dev), or set JOBLET_ALLOW_SKIP=1`);
  }
  const known = new Map([...fs.readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [m[1] as string, Number(m[2])]));
  const newest = Math.max(...known.values());
  for (const [name, nr] of Object.entries(NR_X86_64)) {
    if (known.has(name)) assert.is(nr, known.get(name), name);
    else assert.ok(nr > newest, `${name} (${nr}) is missing from the header but not newer than it`);
  }
});

test('the compiler refuses a syscall in two rules, and splits long lists to keep jumps in range', () => {
  const deny = { kind: 'errno', errno: 1 } as const;
  const base: Policy = { ...JOB_POLICY, rules: [] };
  const twice: Rule[] = [
    { why: 'a', syscalls: ['mount'], action: deny },
    { why: 'b', syscalls: ['mount'], action: deny, when: { arg: 0, oneOf: [1] } },
  ];
  assert.throws(() => compilePolicy({ ...base, rules: twice }), (e: Error) => e instanceof BpfAssemblyError && /'mount' appears in more than one rule/.test(e.message));
  assert.throws(() => compilePolicy({ ...base, rules: [{ why: 'x', syscalls: ['nope' as SyscallName], action: deny }] }), /unknown syscall 'nope'/);

  const numbers: Record<string, number> = {};
  for (let i = 0; i < 3 * MAX_COND_JUMP; i++) numbers[`s${i}`] = 1000 + 2 * i;
  const rules: Rule[] = [{ why: 'many', syscalls: Object.keys(numbers) as SyscallName[], action: deny }];
  const big = encode(compilePolicy({ ...base, rules }, numbers));
  for (let i = 0; i < 3 * MAX_COND_JUMP; i++) {
    assert.is(runFilter(big, { nr: 1000 + 2 * i, arch: X86_64 }), EPERM, `s${i}`);
    assert.is(runFilter(big, { nr: 1001 + 2 * i, arch: X86_64 }), ALLOW, `between s${i} and the next`);
  }
});

test.run();
