/**
 * The warm init pool: what a waiting init holds (nothing of any job), one job per init, bursts
 * larger than the pool, inits that die or grow old, and the daemon's death.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WarmPool } from '../../../src/sandbox/pool';
import { startInit, type SandboxProcess } from '../../../src/sandbox/spawn';
import { initCommand, jobDirs, makeSpec, requireRoot, type JobDirs } from './helpers';

const it = suite('warm init pool');
const run = requireRoot();
const pools: WarmPool[] = [];
let dirs: JobDirs;

it.before(() => {
  if (run) dirs = jobDirs();
});
it.after(async () => {
  for (const p of pools) await p.close();
  dirs?.cleanup();
});

function pool(size: number, extra: { maxIdleMs?: number; maxStarting?: number } = {}): WarmPool {
  const cmd = initCommand();
  const p = new WarmPool({ size, maxIdleMs: extra.maxIdleMs ?? 600_000, maxStarting: extra.maxStarting, start: () => startInit(cmd) });
  pools.push(p);
  p.open();
  p.fill();
  return p;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function output(p: SandboxProcess): Promise<{ stdout: string; stderr: string; code: number | null }> {
  // A stream that got EOF with nothing buffered has already ended (Node ends empty streams at
  // once): a consumer that comes later gets no 'end'.
  const collect = (s: NodeJS.ReadableStream & { readableEnded: boolean }) =>
    new Promise<string>((resolve) => {
      let text = '';
      if (s.readableEnded) return resolve(text);
      s.on('data', (d) => (text += d));
      s.on('end', () => resolve(text));
    });
  const [stdout, stderr] = [collect(p.stdout), collect(p.stderr)];
  await p.started.catch(() => undefined);
  const { code } = await p.exited;
  return { stdout: await stdout, stderr: await stderr, code };
}

const gone = (pid: number) => !fs.existsSync(`/proc/${pid}`);

const maybe = run ? it : it.skip;

maybe('a waiting init is PID 1 of a PID namespace of its own and holds no file, socket or environment of anyone', async () => {
  const p = pool(1);
  await until('an init is ready', () => p.stats().ready === 1);
  const [pid] = p.pids();
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^NSpid:\\s+${pid}\\s+1$`, 'm'), 'PID 1 of a nested namespace');
  assert.is.not(fs.readlinkSync(`/proc/${pid}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'));
  const targets = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => [Number(fd), fs.readlinkSync(`/proc/${pid}/fd/${fd}`)] as const);
  const byFd = new Map(targets);
  assert.is(byFd.get(0), '/dev/null');
  for (const fd of [1, 2, 3, 4]) assert.match(byFd.get(fd)!, /^pipe:\[\d+\]$/, `fd ${fd}`);
  // Beyond its pipes only Node's own event loop handles: no file, socket or directory of the daemon.
  const foreign = targets.filter(([fd, t]) => fd > 4 && !/^anon_inode:|^pipe:/.test(t));
  assert.equal(foreign, [], 'an init inherited something it should not have');
  const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((e) => e.split('=')[0]).sort();
  assert.equal(env, ['JOBLET_KOFFI_PATH', 'NODE_NO_WARNINGS']);
});

maybe('an opened pool starts no init until the first job; from then on it keeps warmPool ready', async () => {
  const cmd = initCommand();
  const p = new WarmPool({ size: 2, maxIdleMs: 600_000, start: () => startInit(cmd) });
  pools.push(p);
  p.open();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(p.pids(), [], 'no init before any job');
  const r = await output(await p.spawn(makeSpec(dirs, 'echo', ['first'])));
  assert.is(r.stdout, 'first\n');
  await until('two inits are ready', () => p.stats().ready === 2);
});

maybe('every job gets a fresh init: its own PID namespace, never a process another job used', async () => {
  const p = pool(1);
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    await until('an init is ready', () => p.stats().ready === 1);
    const job = await p.spawn(makeSpec(dirs, 'sh', ['-c', 'echo $$; ls -A /tmp; echo job-$0 > /tmp/mark', `${i}`]));
    const r = await output(job);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '1\n', 'PID 1 of its namespace, with an empty /tmp (nothing of an earlier job)');
    seen.push(job.pid);
  }
  assert.is(new Set(seen).size, 3, 'three processes for three jobs');
});

maybe('a burst larger than the pool starts every job, the rest from inits still starting or cold', async () => {
  const p = pool(1);
  await until('an init is ready', () => p.stats().ready === 1);
  const jobs = await Promise.all(Array.from({ length: 6 }, (_, i) => p.spawn(makeSpec(dirs, 'echo', [`burst-${i}`]))));
  const results = await Promise.all(jobs.map(output));
  results.forEach((r, i) => assert.is(r.stdout, `burst-${i}\n`, r.stderr));
  const warm = (await Promise.all(jobs.map((j) => j.startup))).map((t) => t?.warm);
  assert.is(warm.filter((w) => w === true).length, 1, `warm starts: ${warm.join(',')}`);
});

maybe('beyond maxStarting, jobs wait for a slot in order and all run', async () => {
  const p = pool(0, { maxStarting: 2 });
  const pending = Array.from({ length: 5 }, (_, i) => p.spawn(makeSpec(dirs, 'echo', [`queued-${i}`])));
  assert.ok(p.stats().queued >= 3, `queued: ${JSON.stringify(p.stats())}`);
  const results = await Promise.all((await Promise.all(pending)).map(output));
  results.forEach((r, i) => assert.is(r.stdout, `queued-${i}\n`, `${JSON.stringify(r)}`));
  assert.is(p.stats().queued, 0);
});

maybe('an idle init that is killed is replaced, and the next job runs', async () => {
  const p = pool(1);
  await until('an init is ready', () => p.stats().ready === 1);
  const [victim] = p.pids();
  process.kill(victim!, 'SIGKILL');
  await until('a new init is ready', () => p.stats().ready === 1 && !p.pids().includes(victim!));
  const r = await output(await p.spawn(makeSpec(dirs, 'echo', ['after'])));
  assert.is(r.stdout, 'after\n');
});

maybe('an idle init older than maxIdleMs is replaced by a fresh one', async () => {
  const p = pool(1, { maxIdleMs: 500 });
  await until('an init is ready', () => p.stats().ready === 1);
  const [first] = p.pids();
  await until('the old init is replaced', () => gone(first!) && p.stats().ready === 1, 30_000);
});

maybe('closing the pool ends every waiting init without running anything', async () => {
  const p = pool(2);
  await until('two inits are ready', () => p.stats().ready === 2);
  const pids = p.pids();
  await p.close();
  await until('the inits are gone', () => pids.every(gone), 10_000);
});

maybe("when the pool's process dies, its waiting inits die with it", async () => {
  const entry = path.join(__dirname, 'pool-parent-entry.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^pids (.*)\n/m.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`pool parent exited early (${code})`)));
  });
  assert.is(pids.length, 2);
  assert.ok(pids.every((pid) => !gone(pid)));
  child.kill('SIGKILL');
  await until('the orphaned inits are gone', () => pids.every(gone), 10_000);
});

it.run();
