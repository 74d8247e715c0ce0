// test:serial — builds runtimes into a tmpfs that fills up: heavy, and alone with the shared apt cache.
/**
 * Builds that cannot finish leave nothing behind: a full disk is reported as such and the partial
 * build removed (a daemon whose state directory is a small tmpfs), and a build interrupted by the
 * daemon dying is cleared at the next start, its processes gone with the daemon.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec } from '../../helpers/daemon';
import { INSTALL_TIMEOUT_MS, TestDaemon, install, json, requireRoot, staged, waitFor } from './helpers';

const privileged = requireRoot('the runtime failure tests');

test('a full disk is reported, the partial build removed, and the daemon goes on', async () => {
  if (!privileged) return;
  const small = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-small-'));
  const mounted = await exec('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', small]);
  assert.is(mounted.code, 0, mounted.stderr);
  let d: TestDaemon | undefined;
  try {
    const state = path.join(small, 'state');
    d = await TestDaemon.start({
      configEdit: (y) => `${y.replace(/^( {2}stateDir:) .*$/m, `$1 "${state}"`)}runtimes:\n  minFreeMB: 1\n`,
    });
    const r = await install(d, 'python:3.11');
    assert.is(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`^rnx: runtime python-3\\.11: the disk holding ${state}/runtimes is full \\(No space left on device\\); \\S+ free now; the partial build was removed — free space and install again$`, 'm'));
    assert.equal(staged(path.join(state, 'runtimes')), []);
    assert.not.ok(fs.existsSync(path.join(state, 'runtimes', 'python-3.11')));
    const free = fs.statfsSync(state);
    assert.ok(free.bavail * free.bsize > 40 * 1024 * 1024, 'the space is free again');
    const job = await d.rnx(['run', '--wait', 'echo', 'still fine']);
    assert.is(job.stdout, 'still fine\n');
    assert.is(json<Array<Record<string, any>>>(await d.rnx(['runtime', 'list', '--json'])).find((x) => x.name === 'python-3.11')!.status, 'available');
  } finally {
    await d?.destroy();
    await exec('umount', ['-l', small]);
    fs.rmSync(small, { recursive: true, force: true });
  }
});

test('a build interrupted by the daemon dying is gone with it, and cleared at the next start', async () => {
  if (!privileged) return;
  const d = await TestDaemon.start();
  try {
    const child = spawn(d.rnxBinary, ['--config', d.rnxConfig, 'runtime', 'install', 'python:3.11', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await waitFor('the install phase', () => out.includes('"phaseName":"Install packages"'), INSTALL_TIMEOUT_MS);
    const runtimes = path.join(d.stateDir, 'runtimes');
    assert.is(staged(runtimes).length, 1, 'one build is under way');
    await d.stop('SIGKILL');
    assert.is.not(await exited, 0, 'the client saw the install fail');
    // The build's sandbox dies with the daemon (its PID 1 has the daemon as parent-death signal).
    await waitFor('the build processes to end', () => !processesOf(d.instance), 30_000);
    await d.serve();
    assert.match(d.log, /runtimes: removing .*\.build, left over from an interrupted build or removal/);
    assert.equal(staged(runtimes), []);
    const rt = json<Array<Record<string, any>>>(await d.rnx(['runtime', 'list', '--json'])).find((x) => x.name === 'python-3.11')!;
    assert.is(rt.status, 'available');
  } finally {
    await d?.destroy();
  }
});

/** True while any process sits in a cgroup of this daemon instance (a build step, a job). */
function processesOf(instance: string): boolean {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${instance}/`)) return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

test.run();
