/**
 * The seccomp filter in real jobs. Each refusal is checked twice: in a normal job (the filter
 * must refuse) and in a control job started through seccomp-control-entry.ts, the same sandbox
 * without the filter, which must answer differently. That proves the refusal comes from the
 * filter and not from the missing capabilities; probes where the kernel's capability check
 * would refuse anyway are marked as such and only checked with the filter. Every probe is
 * harmless when it is allowed: invalid fds, NULL pointers, pids that do not exist, clocks that
 * cannot be set, a bad reboot magic.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSandboxed } from '../../../src/sandbox/spawn';
import { JOB_GID, JOB_UID, jobDirs, makeSpec, requireRoot, runJob, type JobResult } from './helpers';

const it = requireRoot() ? test : test.skip;

const errnoName = new Map(Object.entries(os.constants.errno).map(([name, n]): [number, string] => [n, name]).reverse());
const lines = (s: string): string[] => s.split('\n').filter(Boolean);

let controlCmd: string[] | undefined;

/** The argv prefix of an init stage without the seccomp filter (a bundle of seccomp-control-entry.ts). */
function controlCommand(): string[] {
  if (controlCmd) return controlCmd;
  const outfile = path.resolve(__dirname, '../../../node_modules/.cache/joblet-sandbox-test', `seccomp-control-${process.pid}.cjs`);
  buildSync({ entryPoints: [path.join(__dirname, 'seccomp-control-entry.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error' });
  process.on('exit', () => fs.rmSync(outfile, { force: true }));
  controlCmd = [process.env.JOBLET_TEST_NODE ?? process.execPath, outfile];
  return controlCmd;
}

/** Runs `command args` as a job, with the filter or (filter: false) as a control; `files` go to /work first. */
async function job(command: string, args: string[], opts: { filter?: boolean; files?: Record<string, Buffer> } = {}): Promise<JobResult> {
  const dirs = jobDirs();
  try {
    for (const [name, bytes] of Object.entries(opts.files ?? {})) {
      const file = path.join(dirs.workDirHost, name);
      fs.writeFileSync(file, bytes, { mode: 0o755 });
      fs.chownSync(file, JOB_UID, JOB_GID);
    }
    const spec = makeSpec(dirs, command, args);
    if (opts.filter !== false) return await runJob(spec);
    const proc = spawnSandboxed(spec, controlCommand());
    const text = (s: NodeJS.ReadableStream): Promise<string> =>
      new Promise((resolve, reject) => {
        let t = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (t += d));
        s.on('end', () => resolve(t));
        s.on('error', reject);
      });
    const [stdout, stderr] = [text(proc.stdout), text(proc.stderr)];
    await proc.started;
    const { code, signal } = await proc.exited;
    return { stdout: await stdout, stderr: await stderr, code, signal, pid: proc.pid };
  } finally {
    dirs.cleanup();
  }
}

/** Both runs of the same job. */
async function both(command: string, args: string[], files?: Record<string, Buffer>): Promise<{ filtered: JobResult; control: JobResult }> {
  const filtered = await job(command, args, { files });
  const control = await job(command, args, { filter: false, files });
  return { filtered, control };
}

/**
 * A raw syscall from perl (on every Debian): `call` is the argument list of perl's syscall().
 * control: 'differs' = without the filter the kernel answers something else (the proof);
 * 'kernel-refuses-too' = the kernel's own checks refuse it without the filter as well (no
 * capability, or the feature is not built into this kernel), so only the filtered run is checked.
 */
interface Probe {
  name: string;
  call: string;
  want: 'EPERM' | 'ENOSYS';
  control: 'differs' | 'kernel-refuses-too';
}

const PROBES: Probe[] = [
  { name: 'keyctl', call: '250, 0, -3, 0', want: 'EPERM', control: 'differs' }, // KEYCTL_GET_KEYRING_ID(session)
  { name: 'add_key', call: '248, "user", "joblet-probe", "x", 1, 0', want: 'EPERM', control: 'differs' }, // keyring 0: EINVAL
  { name: 'request_key', call: '249, "user", "joblet-probe-none", 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'bpf', call: '321, 999, 0, 0', want: 'EPERM', control: 'differs' }, // no such command
  { name: 'io_uring_setup', call: '425, 1, 0', want: 'EPERM', control: 'differs' }, // params NULL
  { name: 'io_uring_enter', call: '426, -1, 0, 0, 0, 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'io_uring_register', call: '427, -1, 0, 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'userfaultfd', call: '323, 0x80001', want: 'EPERM', control: 'differs' }, // UFFD_USER_MODE_ONLY|O_CLOEXEC
  { name: 'perf_event_open', call: '298, 0, 0, -1, -1, 0', want: 'EPERM', control: 'differs' }, // attr NULL
  { name: 'clock_settime', call: '227, 1, 0', want: 'EPERM', control: 'differs' }, // CLOCK_MONOTONIC cannot be set
  { name: 'setns', call: '308, -1, 0', want: 'EPERM', control: 'differs' },
  { name: 'ptrace', call: '101, 2, 999999, 0, 0', want: 'EPERM', control: 'differs' }, // PEEKDATA, no such pid
  { name: 'process_vm_readv', call: '310, $$, 0, 0, 0, 0, 0', want: 'EPERM', control: 'differs' }, // zero iovecs
  { name: 'kcmp', call: '312, $$, $$, 0, 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'pidfd_getfd', call: '438, -1, 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'get_mempolicy', call: '239, 0, 0, 0, 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'mbind', call: '237, 0, 0, 0, 0, 0, 0', want: 'EPERM', control: 'differs' }, // empty range
  { name: 'name_to_handle_at', call: '303, -100, "/", 0, 0, 0', want: 'EPERM', control: 'differs' },
  { name: 'open_tree', call: '428, -100, "/", 0x80000', want: 'EPERM', control: 'differs' }, // an O_PATH fd, no clone
  { name: 'socket(AF_ALG)', call: '41, 38, 5, 0', want: 'EPERM', control: 'differs' },
  { name: 'socket(AF_VSOCK)', call: '41, 40, 1, 0', want: 'EPERM', control: 'differs' },
  { name: 'socket(AF_VSOCK | 1<<32)', call: '41, (1 << 32) | 40, 1, 0', want: 'EPERM', control: 'differs' },
  { name: 'ioctl(TIOCSTI) on /dev/null', call: '16, 0, 0x5412, "x"', want: 'EPERM', control: 'differs' },
  { name: 'ioctl(TIOCSTI | 1<<32)', call: '16, 0, (1 << 32) | 0x5412, "x"', want: 'EPERM', control: 'differs' },
  { name: 'personality(ADDR_NO_RANDOMIZE)', call: '135, 0x0040000', want: 'EPERM', control: 'differs' },
  { name: 'clone3', call: '435, 0, 0', want: 'ENOSYS', control: 'differs' }, // size 0: EINVAL
  { name: 'reboot', call: '169, 0, 0, 0, 0', want: 'EPERM', control: 'kernel-refuses-too' }, // bad magic
  { name: 'settimeofday', call: '164, 0, 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'mount', call: '165, "none", "/tmp", "tmpfs", 0, 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'umount2', call: '166, "/tmp", 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'pivot_root', call: '155, "/", "/"', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'init_module', call: '175, 0, 0, ""', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'finit_module', call: '313, -1, "", 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'delete_module', call: '176, "joblet_none", 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'kexec_load', call: '246, 0, 0, 0, 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'kexec_file_load', call: '320, -1, -1, 0, 0, 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'acct', call: '163, 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'swapoff', call: '168, "/nonexistent"', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'fsopen', call: '430, "tmpfs", 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'open_by_handle_at', call: '304, -1, 0, 0', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'sethostname', call: '170, "x", 1', want: 'EPERM', control: 'kernel-refuses-too' },
  { name: 'iopl(3)', call: '172, 3', want: 'EPERM', control: 'kernel-refuses-too' },
];

/** One perl program running every probe; prints "<name>\t<ok|errno number>" per probe. */
function perlProbes(probes: Probe[]): string {
  const calls = probes.map((p) => `probe(${JSON.stringify(p.name)}, ${p.call});`).join('\n');
  return `use strict; use warnings; $| = 1;
sub probe { my ($name, $nr, @rest) = @_; $! = 0; my $r = syscall($nr, @rest); my $e = $! + 0; print "$name\\t", ($r == -1 ? $e : "ok"), "\\n"; }
${calls}`;
}

/** "name → ok or errno name" from a probe run. */
function results(out: string): Map<string, string> {
  return new Map(lines(out).map((l) => l.split('\t') as [string, string]).map(([n, r]) => [n, r === 'ok' ? 'ok' : (errnoName.get(Number(r)) ?? `errno ${r}`)]));
}

it('the job runs in seccomp filter mode (Seccomp: 2); the control run does not', async () => {
  const { filtered, control } = await both('grep', ['^Seccomp', '/proc/self/status']);
  assert.equal(lines(filtered.stdout), ['Seccomp:\t2', 'Seccomp_filters:\t1']);
  assert.equal(lines(control.stdout), ['Seccomp:\t0', 'Seccomp_filters:\t0']);
});

it('raw syscalls: refused by the filter with EPERM (clone3: ENOSYS), and not only for lack of capabilities', async () => {
  const script = perlProbes(PROBES);
  const { filtered, control } = await both('perl', ['-e', script]);
  assert.is(filtered.stderr + control.stderr, '');
  const got = results(filtered.stdout);
  const ctl = results(control.stdout);
  for (const p of PROBES) {
    assert.is(got.get(p.name), p.want, `${p.name} with the filter`);
    if (p.control === 'differs') {
      assert.ok(ctl.has(p.name) && ctl.get(p.name) !== p.want, `${p.name} without the filter gave ${ctl.get(p.name)}: the probe does not show the filter at work`);
    }
  }
});

it('unshare(1): user, network and mount namespaces refused; the control run can create them', async () => {
  const script = [
    'unshare -r true && echo r-ok',
    'unshare -U true && echo U-ok',
    'unshare -n true && echo n-ok',
    'unshare -rn true && echo rn-ok',
    'unshare -rm sh -c "mount -t tmpfs none /tmp && echo mounted"',
  ].join('; ');
  const { filtered, control } = await both('sh', ['-c', `exec 2>&1; ${script}`]);
  assert.equal(lines(filtered.stdout), Array(5).fill('unshare: unshare failed: Operation not permitted'));
  // Without the filter the job can build a user namespace and mount inside it; -n alone needs CAP_SYS_ADMIN.
  assert.equal(lines(control.stdout), ['r-ok', 'U-ok', 'unshare: unshare failed: Operation not permitted', 'rn-ok', 'mounted']);
});

it('clone(2) with CLONE_NEWUSER is refused; plain clone (fork) works', async () => {
  // A raw clone with stack 0 behaves like fork; the child leaves at once.
  const script = `use POSIX (); $| = 1;
for my $f ([newuser => 0x10000011], [newnet => 0x40000011], [fork => 17]) {
  $! = 0; my $r = syscall(56, $f->[1], 0, 0, 0, 0);
  POSIX::_exit(0) if $r == 0;
  my $e = $! + 0; waitpid($r, 0) if $r > 0;
  print "$f->[0] ", ($r > 0 ? "ok" : $e), "\\n";
}`;
  const { filtered, control } = await both('perl', ['-e', script]);
  assert.equal(lines(filtered.stdout), ['newuser 1', 'newnet 1', 'fork ok']);
  assert.equal(lines(control.stdout), ['newuser ok', 'newnet 1', 'fork ok'], 'without the filter an unprivileged clone(CLONE_NEWUSER) succeeds');
});

it('TIOCSTI on its own controlling terminal: refused (also with high bits set); the control run injects', async () => {
  const script = `
import ctypes, os, tty
libc = ctypes.CDLL(None, use_errno=True)
TIOCSCTTY, TIOCSTI = 0x540E, 0x5412
m, s = os.openpty()
tty.setraw(s)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    libc.ioctl(ctypes.c_int(s), ctypes.c_ulong(TIOCSCTTY), ctypes.c_int(0))
    out = []
    for req in (TIOCSTI, (1 << 32) | TIOCSTI, (0xffff << 48) | TIOCSTI):
        rc = libc.ioctl(ctypes.c_int(s), ctypes.c_ulong(req), ctypes.c_char_p(b'x'))
        out.append('ok' if rc == 0 else str(ctypes.get_errno()))
    os.write(w, ' '.join(out).encode())
    os._exit(0)
os.close(w)
os.waitpid(pid, 0)
print(os.read(r, 100).decode())
os.set_blocking(s, False)
try:
    got = os.read(s, 16)
except BlockingIOError:
    got = b''
print(repr(got))
`;
  const { filtered, control } = await both('python3', ['-c', script]);
  assert.is(filtered.stderr, '');
  assert.equal(lines(filtered.stdout), ['1 1 1', "b''"]);
  assert.equal(lines(control.stdout), ['ok ok ok', "b'xxx'"], 'without the filter TIOCSTI pushes input (and the kernel drops the high bits)');
});

/** A static x86_64 ELF whose entry point runs `code` (no libc). */
function tinyElf(code: number[]): Buffer {
  const base = 0x400000;
  const ehdr = Buffer.alloc(64);
  const phdr = Buffer.alloc(56);
  const size = 64 + 56 + code.length;
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(ehdr, 0); // ELF, 64-bit, little-endian, v1, SysV
  ehdr.writeUInt16LE(2, 16); // ET_EXEC
  ehdr.writeUInt16LE(0x3e, 18); // EM_X86_64
  ehdr.writeUInt32LE(1, 20);
  ehdr.writeBigUInt64LE(BigInt(base + 120), 24); // entry: right after the headers
  ehdr.writeBigUInt64LE(64n, 32); // phoff
  ehdr.writeUInt16LE(64, 52); // ehsize
  ehdr.writeUInt16LE(56, 54); // phentsize
  ehdr.writeUInt16LE(1, 56); // phnum
  phdr.writeUInt32LE(1, 0); // PT_LOAD
  phdr.writeUInt32LE(5, 4); // R+X
  phdr.writeBigUInt64LE(BigInt(base), 16);
  phdr.writeBigUInt64LE(BigInt(base), 24);
  phdr.writeBigUInt64LE(BigInt(size), 32);
  phdr.writeBigUInt64LE(BigInt(size), 40);
  phdr.writeBigUInt64LE(0x1000n, 48);
  return Buffer.concat([ehdr, phdr, Buffer.from(code)]);
}

const EXIT_0 = [0x31, 0xff, 0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05]; // xor edi,edi; mov eax,60 (exit); syscall
const EXIT_NEG_EAX = [0x89, 0xc7, 0xf7, 0xdf, 0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05]; // mov edi,eax; neg edi; exit(edi)

it('the i386 entry point (int 0x80) cannot make a system call: SIGSYS from the filter, or the kernel refuses it', async () => {
  const i386Getpid = tinyElf([0xb8, 20, 0, 0, 0, 0xcd, 0x80, ...EXIT_0]); // mov eax,20 (i386 getpid); int 0x80
  const run = 'exec 2>&1; /work/i386; echo "status $?"';
  const { filtered, control } = await both('sh', ['-c', run], { i386: i386Getpid });
  if (/status 139\n$/.test(control.stdout)) {
    // A kernel with IA32 emulation off (ia32_emulation=0, as on some cloud VMs) faults int 0x80
    // with SIGSEGV before any filter runs: the i386 path is closed, and must stay closed with the filter.
    assert.match(filtered.stdout, /status (139|159)\n$/, `SIGSEGV or SIGSYS: ${filtered.stdout}`);
    return;
  }
  assert.is(control.stdout, 'status 0\n');
  assert.match(filtered.stdout, /status 159\n$/, `128 + SIGSYS (31): ${filtered.stdout}`);
});

it('x32 syscalls (nr | 0x40000000) get ENOSYS', async () => {
  const x32Getpid = tinyElf([0xb8, 39, 0, 0, 0x40, 0x0f, 0x05, ...EXIT_NEG_EAX]); // mov eax,0x40000027; syscall; exit(-eax)
  const native = tinyElf([0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x31, 0xff, 0x83, 0xf8, 0x01, 0x40, 0x0f, 0x95, 0xc7, 0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05]);
  // native: getpid; exit(eax != 1) — the job's command is PID 1 of its namespace, so this exits 0.
  const r = await job('sh', ['-c', '/work/x32; echo "x32 $?"; exec /work/native'], { files: { x32: x32Getpid, native } });
  assert.is(r.stdout, 'x32 38\n');
  assert.is(r.code, 0, 'the same tiny ELF with a native syscall works under the filter');
});

it('normal programs still work: pipelines, fork, threads, ps, python, ip-style netlink sockets', async () => {
  const py = 'import threading, subprocess, socket; r = []; ts = [threading.Thread(target=r.append, args=(i,)) for i in range(8)]; [t.start() for t in ts]; [t.join() for t in ts]; ' +
    'print(sorted(r) == list(range(8)), subprocess.run(["true"]).returncode, socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).fileno() > 2, socket.socket().fileno() > 2)';
  const script = [
    'echo hello | tr a-z A-Z | cat',
    '(sleep 0.01 & wait) && echo bg-ok',
    "perl -e 'my $p = fork; if ($p == 0) { exit 3 } waitpid($p, 0); print $? >> 8, qq(\\n)'",
    `python3 -c '${py}'`,
    'ps -e -o comm= > /tmp/ps.out; tr "\\n" " " < /tmp/ps.out; echo',
    'uname -m; setarch i686 uname -m; setarch -R true 2>/dev/null || echo no-randomize-refused',
  ].join('\n');
  const r = await job('sh', ['-c', script]);
  assert.is(r.stderr, '');
  assert.equal(lines(r.stdout), ['HELLO', 'bg-ok', '3', 'True 0 True True', 'sh ps ', 'x86_64', 'i686', 'no-randomize-refused']);
});

test.run();
