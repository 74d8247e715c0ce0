/**
 * The warm pool through a real daemon: it fills with the first job, later jobs start from warm
 * inits and say so in the debug log,
 * `warmPool: 0` starts them cold, a burst beyond the pool never fails, and the pooled inits die
 * with the daemon.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

const daemons: TestDaemon[] = [];
test.after(async () => {
  for (const d of daemons) await d.destroy();
});

async function daemon(warmPool: number): Promise<TestDaemon> {
  const d = await TestDaemon.start({ configEdit: (y) => y.replace(/^  logLevel: .*$/m, '  logLevel: debug').replace(/^  warmPool: .*$/m, `  warmPool: ${warmPool}`) });
  daemons.push(d);
  return d;
}

/** Pids of the daemon's children that are init stages (warm, waiting for a job). */
function pooledInits(d: TestDaemon): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === d.proc!.pid && fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('__joblet-init')) out.push(Number(e));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the pool fills with the first job; later jobs start from warm inits; the log has each start-up breakdown', async () => {
  const d = await daemon(2);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(pooledInits(d), [], 'no init before any job');
  const first = await d.rnx(['run', '--wait', '--network=none', 'echo', 'first']);
  assert.is(first.stdout, 'first\n', first.stderr);
  await until('two inits are waiting', () => pooledInits(d).length === 2);
  const r = await d.rnx(['run', '--wait', '--network=none', 'sh', '-c', 'echo "pid $$"; set -- /proc/[0-9]*; echo $#']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'pid 1\n1\n', 'PID 1, and the only process it can see: no pooled init is visible');
  await until('the start-up line is logged', () => /started in [\d.]+ ms from a warm init: spec [\d.]+, .*execve [\d.]+/.test(d.log));
  await until('the pool is refilled', () => pooledInits(d).length === 2);
});

test('with warmPool 0 every job starts cold, and works the same', async () => {
  const d = await daemon(0);
  assert.equal(pooledInits(d), []);
  const r = await d.rnx(['run', '--wait', '--network=none', 'sh', '-c', 'echo cold; id -u']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'cold\n65534\n');
  await until('the start-up line is logged', () => /started in [\d.]+ ms from a cold init/.test(d.log));
  assert.equal(pooledInits(d), []);
});

test('a burst far larger than the pool: every job runs, none fails', async () => {
  const d = daemons[0]!;
  const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => d.run(['--network=none', 'sh', '-c', `echo burst-${i}`])));
  for (const [i, id] of ids.entries()) {
    const j = await d.waitDone(id, 120_000);
    assert.is(j.status, 'COMPLETED', JSON.stringify(j));
    assert.is((await d.rnx(['log', id])).stdout, `burst-${i}\n`);
  }
});

test('when the daemon is killed, its waiting inits die with it', async () => {
  const d = daemons[0]!;
  await until('two inits are waiting', () => pooledInits(d).length === 2);
  const pids = pooledInits(d);
  await d.stop('SIGKILL');
  await until('the pooled inits are gone', () => pids.every((p) => !fs.existsSync(`/proc/${p}`)), 10_000);
  // A restart clears what the killed daemon left on the host (bridges, prepared attachments, its
  // firewall table); destroy() then stops it cleanly.
  await d.serve();
});

test.run();
