/**
 * Joining the job's cgroups: the init writes itself into every cgroup.procs it was given (a real
 * v1 pids cgroup and, when the host has one, a cgroup2 one), so limits hold for the command, and
 * the job sees its cgroup as "/" (its own cgroup namespace).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSandboxed } from '../../../src/sandbox/spawn';
import { initCommand, jobDirs, makeSpec, requireRoot, runJob } from './helpers';

const it = requireRoot() ? test : test.skip;

const PIDS_ROOT = '/sys/fs/cgroup/pids';
const UNIFIED_ROOTS = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'];

/** Our own cgroup dir in a hierarchy (under the test process's cgroup, as the daemon would). */
function makeCgroup(root: string, controllerField: string): string {
  const own = fs
    .readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[1] === controllerField)?.[2];
  if (own === undefined) throw new Error(`no ${controllerField || 'cgroup2'} line in /proc/self/cgroup`);
  const dir = path.join(root, own, `joblet-sbx-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`);
  fs.mkdirSync(dir);
  return dir;
}

function unifiedRoot(): string | undefined {
  return UNIFIED_ROOTS.find((r) => fs.existsSync(path.join(r, 'cgroup.procs')) && fs.existsSync(path.join(r, 'cgroup.controllers')));
}

it('the job joins every cgroup given, limits apply, and it sees its cgroup as /', async () => {
  if (!fs.existsSync(path.join(PIDS_ROOT, 'cgroup.procs'))) throw new Error('this test needs a cgroup v1 pids hierarchy at /sys/fs/cgroup/pids');
  const pidsDir = makeCgroup(PIDS_ROOT, 'pids');
  const uroot = unifiedRoot();
  const v2Dir = uroot ? makeCgroup(uroot, '') : undefined;
  const dirs = jobDirs();
  try {
    fs.writeFileSync(path.join(pidsDir, 'pids.max'), '8');
    const procsFiles = [path.join(pidsDir, 'cgroup.procs'), ...(v2Dir ? [path.join(v2Dir, 'cgroup.procs')] : [])];
    const spec = makeSpec(dirs, 'sh', ['-c', 'cat /proc/self/cgroup; sleep 1'], { cgroupProcsFiles: procsFiles });
    const proc = spawnSandboxed(spec, initCommand());
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await proc.started;
    // Seen from the host: the command (same pid as the init) is in both cgroups.
    for (const f of procsFiles) assert.ok(fs.readFileSync(f, 'utf8').split('\n').includes(String(proc.pid)), f);
    await proc.exited;
    const lines = out.split('\n').filter(Boolean);
    assert.ok(lines.find((l) => l.endsWith(':pids:/')), out);
    if (v2Dir) assert.ok(lines.includes('0::/'), out);

    // pids.max = 8 stops a fork storm inside the job.
    const bomb = await runJob(makeSpec(dirs, 'sh', ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done; wait'], { cgroupProcsFiles: procsFiles }));
    assert.match(bomb.stderr, /fork|Resource temporarily unavailable/i, bomb.stderr);
  } finally {
    dirs.cleanup();
    for (const d of [pidsDir, v2Dir]) if (d) fs.rmdirSync(d);
  }
});

it('a cgroup.procs file that does not exist is a setup failure naming it', async () => {
  const dirs = jobDirs();
  try {
    const r = await runJob(makeSpec(dirs, 'true', [], { cgroupProcsFiles: ['/sys/fs/cgroup/pids/no-such-cgroup-xyz/cgroup.procs'] }));
    const f = r.setupError?.failure;
    assert.ok(f, 'started must reject');
    assert.equal([f.op, f.args, f.errno, f.exitCode], ['open', '/sys/fs/cgroup/pids/no-such-cgroup-xyz/cgroup.procs', 'ENOENT', 125]);
  } finally {
    dirs.cleanup();
  }
});

test.run();
