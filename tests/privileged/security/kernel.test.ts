/**
 * Kernel interfaces, attacked from inside a job: privileges, keyrings, bpf, io_uring,
 * userfaultfd, perf, kexec, modules, reboot, the clock, namespaces, raw sockets, terminal
 * injection, /proc/sys, /sys and cgroupfs. Where a refused call has arguments that the kernel
 * would reject after its own permission check, an EINVAL/ENOENT/EFAULT/EBADF outcome means the
 * call reached the kernel and counts as a failure: only the refusal itself (EPERM, or ENOSYS for
 * clone3) passes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JOB_UID, TestDaemon, expectOutcomes, probe, requireRoot, runWait } from './helpers';

const it = requireRoot() ? test : test.skip;

let d: TestDaemon;
/** Outcomes of every probe of this file, from one job. */
let got: Record<string, string>;

const EPERM = 'EPERM';
const ZERO_CAPS = '0000000000000000';

/** Probe → the only acceptable outcome, grouped as the tests below assert them. */
const GROUPS = {
  privileges: {
    uid: `real=${JOB_UID} effective=${JOB_UID}`,
    cap_eff: ZERO_CAPS,
    cap_prm: ZERO_CAPS,
    cap_bnd: ZERO_CAPS,
    cap_amb: ZERO_CAPS,
    no_new_privs: '1',
    seccomp: '2',
  },
  keyrings: { keyctl: EPERM, add_key: EPERM, request_key: EPERM },
  surfaces: { bpf: EPERM, io_uring_setup: EPERM, io_uring_enter: EPERM, io_uring_register: EPERM, userfaultfd: EPERM, perf_event_open: EPERM },
  boot: { kexec_load: EPERM, kexec_file_load: EPERM, init_module: EPERM, finit_module: EPERM, delete_module: EPERM, reboot: EPERM },
  clock: { settimeofday: EPERM, clock_settime: EPERM },
  admin: { sethostname: EPERM, syslog: EPERM, swapon: EPERM, acct: EPERM, iopl: EPERM, ioperm: EPERM, personality: EPERM },
  namespaces: {
    unshare_user: EPERM,
    unshare_ns: EPERM,
    unshare_net: EPERM,
    unshare_pid: EPERM,
    unshare_uts: EPERM,
    unshare_ipc: EPERM,
    unshare_cgroup: EPERM,
    setns: EPERM,
    clone_newuser: EPERM,
    clone_newns: EPERM,
    clone3: 'ENOSYS',
  },
  sockets: { socket_packet: EPERM, socket_raw: EPERM, socket_raw6: EPERM, socket_alg: EPERM, socket_vsock: EPERM },
  tty: {
    tiocsti_0: EPERM,
    tiocsti_1: EPERM,
    tiocsti_2: EPERM,
    tiocsti_hi_0: EPERM,
    tiocsti_hi_1: EPERM,
    tiocsti_hi_2: EPERM,
    tiocsti_ctty: EPERM,
    tioclinux: EPERM,
  },
  other_processes: { ptrace: EPERM, process_vm_readv: EPERM, name_to_handle_at: EPERM, open_by_handle_at: EPERM },
  procsys: {
    // Root-owned 0644 knobs: the job's uid is refused before the read-only mount is even asked.
    proc_sys_printk: 'EACCES',
    proc_sys_core: 'EACCES',
    // Mode 0666: only the read-only bind of /proc/sys stands in the way.
    proc_sys_lastpid: 'EROFS',
    // Absent on kernels without CONFIG_MAGIC_SYSRQ; read-only (or root-only) where present.
    sysrq_trigger: /^(ENOENT|EACCES|EROFS)$/,
    sys_knob: /^(none found|\/sys\/\S+=(EACCES|EROFS))$/,
    sys_mkdir: 'EROFS',
    sys_writable: 'none',
  },
  cgroups: { cgroupfs: 'none', release_agent: 'none', mount_cgroup: EPERM, mount_cgroup2: EPERM },
  masked: {
    proc_kcore: /^(absent|empty|EACCES)$/,
    proc_keys: /^(absent|empty|EACCES)$/,
    proc_timer_list: /^(absent|empty|EACCES)$/,
    proc_sched_debug: /^(absent|empty|EACCES)$/,
    proc_kallsyms: /^(zeroed|empty|EACCES)$/,
  },
} satisfies Record<string, Record<string, string | RegExp>>;

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start();
  got = await probe(d, Object.values(GROUPS).flatMap((g) => Object.keys(g)));
});
test.after(() => d?.destroy());

it('privileges: unprivileged uid, no capability in any set, no_new_privs, seccomp in filter mode', () => {
  expectOutcomes(got, GROUPS.privileges);
});

it('keyrings (not namespaced): keyctl, add_key, request_key are refused with EPERM', () => {
  expectOutcomes(got, GROUPS.keyrings);
});

it('bpf, io_uring, userfaultfd and perf_event_open are refused with EPERM', () => {
  expectOutcomes(got, GROUPS.surfaces);
});

it('kexec, kernel modules and reboot are refused with EPERM (bad magic/flags would say EINVAL if they got through)', () => {
  expectOutcomes(got, GROUPS.boot);
});

it('setting the clock is refused with EPERM (out-of-range values would say EINVAL if they got through)', () => {
  expectOutcomes(got, GROUPS.clock);
});

it('host administration: sethostname, syslog, swapon, acct, iopl, ioperm, personality are refused with EPERM', () => {
  expectOutcomes(got, GROUPS.admin);
});

it('namespaces: every unshare flag, setns and clone with namespace flags are EPERM; clone3 is ENOSYS', () => {
  expectOutcomes(got, GROUPS.namespaces);
});

it('unshare(1) and mount(8) inside a job report the refusal', async () => {
  const r = await runWait(d, ['sh', '-c', 'exec 2>&1; unshare -U true; echo "U=$?"; unshare -r id; echo "r=$?"; unshare -m true; echo "m=$?"; mount -t tmpfs none /tmp; echo "mount=$?"']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^unshare: unshare failed: Operation not permitted\nU=1\nunshare: unshare failed: Operation not permitted\nr=1\nunshare: unshare failed: Operation not permitted\nm=1\n/);
  assert.match(r.stdout, /mount: \/tmp: (permission denied|must be superuser to use mount)\.[\s\S]*\nmount=32\n$/);
});

it('raw and exotic sockets: AF_PACKET, SOCK_RAW (v4, v6), AF_ALG and AF_VSOCK are refused with EPERM', () => {
  expectOutcomes(got, GROUPS.sockets);
});

it('TIOCSTI (fds 0-2, with high bits set, on its own controlling pty) and TIOCLINUX are refused with EPERM', () => {
  expectOutcomes(got, GROUPS.tty);
});

it('other processes and inodes: ptrace, process_vm_readv (even of its own child), file handles are refused', () => {
  expectOutcomes(got, GROUPS.other_processes);
});

it('/proc/sys, /proc/sysrq-trigger and /sys cannot be opened for writing; nothing in them is writable', () => {
  expectOutcomes(got, GROUPS.procsys);
});

it('cgroups: no cgroupfs mounted, no release_agent anywhere, mounting cgroup or cgroup2 is EPERM', () => {
  expectOutcomes(got, GROUPS.cgroups);
});

it('masked /proc files: kcore, keys, timer_list, sched_debug give nothing; kallsyms shows no addresses', () => {
  expectOutcomes(got, GROUPS.masked);
});

test.run();
