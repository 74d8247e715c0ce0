/**
 * Shared set-up of the adversarial suite: one real daemon per test file, the probe script
 * (probes/probe.pl) run inside jobs, and the host-side checks that look at what a job left
 * behind: processes carrying its JOB_ID, its cgroup directories, its mounts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as assert from 'uvu/assert';
import { TestDaemon, type RunResult } from '../../helpers/daemon';
import { instanceCgroupDirs } from '../../helpers/cgroups';

export { TestDaemon, type RunResult };

/** The probe script, passed to `perl -e` inside jobs. */
export const PROBE_SCRIPT = fs.readFileSync(path.join(__dirname, 'probes', 'probe.pl'), 'utf8');

/** uid and gid jobs run as (joblet-config.yml default). */
export const JOB_UID = 65534;

/**
 * True when the suite can run (root: namespaces, cgroups, mounts). Otherwise it fails, unless
 * JOBLET_ALLOW_SKIP=1, in which case it says why and the caller registers its tests as skipped.
 */
export function requireRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  const why = 'the security suite needs root (it starts a real daemon that builds sandboxes)';
  if (process.env.JOBLET_ALLOW_SKIP === '1') {
    console.log(`SKIP: ${why}`);
    return false;
  }
  throw new Error(`${why}; set JOBLET_ALLOW_SKIP=1 to skip`);
}

/** Sets a key that `joblet init` writes (server:, jobs: sections); values are single tokens. */
export function setConfig(key: string, value: string | number): (yaml: string) => string {
  return (yaml) => {
    const re = new RegExp(`^(\\s+${key}:) \\S+`, 'm');
    if (!re.test(yaml)) throw new Error(`joblet-config.yml has no key ${key}`);
    return yaml.replace(re, `$1 ${value}`);
  };
}

/** Adds a `limits:` section (init writes none: every limit has a default). */
export function setLimits(limits: Record<string, number>): (yaml: string) => string {
  return (yaml) => {
    if (/^limits:/m.test(yaml)) throw new Error('joblet-config.yml already has a limits: section');
    return `${yaml.trimEnd()}\nlimits:\n${Object.entries(limits).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`;
  };
}

/** Several config edits in a row. */
export function configEdits(...edits: Array<(yaml: string) => string>): (yaml: string) => string {
  return (yaml) => edits.reduce((y, e) => e(y), yaml);
}

/** `rnx run --wait …` (60 s unless told): the job's output and exit code, for the caller to judge. */
export async function runWait(d: TestDaemon, args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return d.rnx(['run', '--wait', ...args], { timeoutMs: opts.timeoutMs ?? 60000 });
}

/**
 * Runs probes inside one job (`perl -e probe.pl names... params...`) and returns name → outcome.
 * `flags` are rnx run flags placed before the command.
 */
export async function probe(d: TestDaemon, names: string[], params: string[] = [], flags: string[] = []): Promise<Record<string, string>> {
  const r = await runWait(d, [...flags, 'perl', '-e', PROBE_SCRIPT, ...names, ...params]);
  assert.is(r.code, 0, `probe job failed (${r.code}): ${r.stderr}`);
  const out = parseProbeOutput(r.stdout);
  for (const n of names) assert.ok(n in out, `probe ${n} gave no answer:\n${r.stdout}\n${r.stderr}`);
  return out;
}

/** "name\toutcome" lines → record. */
export function parseProbeOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) out[line.slice(0, tab)] = line.slice(tab + 1);
  }
  return out;
}

/** Asserts each probe's outcome; `expected` values are exact strings or patterns. */
export function expectOutcomes(got: Record<string, string>, expected: Record<string, string | RegExp>): void {
  const wrong = Object.entries(expected)
    .filter(([name, want]) => (typeof want === 'string' ? got[name] !== want : !want.test(got[name] ?? '')))
    .map(([name, want]) => `${name}: got ${JSON.stringify(got[name])}, want ${want}`);
  assert.equal(wrong, [], `unsafe or unexpected outcomes:\n  ${wrong.join('\n  ')}`);
}

/** Host pids whose environment holds JOB_ID=<id> (the job's processes, seen from the host). */
export function hostPidsOfJob(id: string): number[] {
  const needle = Buffer.from(`\0JOB_ID=${id}\0`);
  const first = Buffer.from(`JOB_ID=${id}\0`);
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let env: Buffer;
    try {
      env = fs.readFileSync(`/proc/${e}/environ`);
    } catch {
      continue; // gone meanwhile, or a kernel thread
    }
    if (env.includes(needle) || env.subarray(0, first.length).equals(first)) pids.push(Number(e));
  }
  return pids;
}

/** Open pid namespaces of jobs (see pidNsOfJob); closed when the test process exits. */
const pinnedNamespaces: number[] = [];

/**
 * The pid namespace of job `id` (as /proc/PID/ns/pid reads), from one of its processes. The
 * namespace is held open for the rest of the test: the kernel reuses the inode number of a freed
 * namespace at once, so without the pin another job on the host (in another namespace that got
 * the same number) would look like a survivor of this one.
 */
export function pidNsOfJob(id: string): string {
  for (const pid of hostPidsOfJob(id)) {
    try {
      const fd = fs.openSync(`/proc/${pid}/ns/pid`, 'r');
      const ns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
      // Same process still there (not a pid reused between the two calls): the pin is this namespace.
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== ns) {
        fs.closeSync(fd);
        continue;
      }
      pinnedNamespaces.push(fd);
      return ns;
    } catch {
      /* exited meanwhile */
    }
  }
  throw new Error(`job ${id} has no process on the host`);
}

/** Host pids in pid namespace `ns`: finds processes that dropped JOB_ID from their environment. */
export function hostPidsInNs(ns: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return fs.readlinkSync(`/proc/${e}/ns/pid`) === ns;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Lines of the host's /proc/self/mountinfo that mention `text`. */
export function hostMountsWith(text: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(text));
}

/** The job's cgroup directories that exist, in every hierarchy the daemon uses. */
export function jobCgroupDirs(d: TestDaemon, id: string): string[] {
  return instanceCgroupDirs(d.proc!.pid!, d.instance)
    .map((base) => path.join(base, `job-${id}`))
    .filter((p) => fs.existsSync(p));
}

/** `file` of the job's cgroup in the hierarchy whose mount point contains `controller`. */
export function jobCgroupFile(d: TestDaemon, id: string, controller: string, file: string): string {
  const dir = jobCgroupDirs(d, id).find((p) => p.split('/').includes(controller));
  if (!dir) throw new Error(`job ${id} has no ${controller} cgroup (dirs: ${jobCgroupDirs(d, id).join(', ')})`);
  return fs.readFileSync(path.join(dir, file), 'utf8');
}



/** Poll until `cond` holds or `ms` pass; returns whether it held. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms = 10000): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Status JSON of a job. */
export async function statusOf(d: TestDaemon, id: string): Promise<Record<string, any>> {
  const r = await d.rnx(['status', '--json', id]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, any>;
}

/**
 * Waits until the job shows a process on the host (its sandbox is up and running the command).
 * Generous: a daemon's first job on a host loaded by other suites can take many seconds.
 */
export async function waitRunning(d: TestDaemon, id: string): Promise<void> {
  const ok = await eventually(async () => (await statusOf(d, id)).status === 'RUNNING' && hostPidsOfJob(id).length > 0, 60000);
  assert.ok(ok, `job ${id} did not start running`);
}

/**
 * Asserts nothing of job `id` survives on the host: no process (by JOB_ID, and by pid namespace
 * `pidns` when given, which also finds processes that emptied their environment), no cgroup, no
 * mount.
 */
export async function assertNothingLeft(d: TestDaemon, id: string, pidns?: string): Promise<void> {
  const procs = () => [...new Set([...hostPidsOfJob(id), ...(pidns ? hostPidsInNs(pidns) : [])])];
  // The daemon reaps and removes asynchronously right after the status changes: allow a moment.
  await eventually(() => procs().length === 0 && jobCgroupDirs(d, id).length === 0 && hostMountsWith(id).length === 0, 5000);
  const left = procs().map((p) => `${p} ${safeRead(`/proc/${p}/cmdline`).replace(/\0/g, ' ')}`);
  assert.equal(left, [], `processes of job ${id} survive on the host`);
  assert.equal(jobCgroupDirs(d, id), [], `cgroups of job ${id} survive`);
  assert.equal(hostMountsWith(id), [], `mounts of job ${id} survive on the host`);
}

function safeRead(f: string): string {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}
