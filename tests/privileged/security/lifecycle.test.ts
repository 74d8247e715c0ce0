/**
 * Processes that try to outlive their job: setsid'd, double-forked, SIGTERM- and SIGHUP-ignoring,
 * and with JOB_ID wiped from their environment. After a stop, a normal exit, a timeout or even
 * the daemon's death, nothing of the job may survive on the host: no process (found by JOB_ID and
 * by the job's pid namespace), no cgroup, no mount.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon, assertNothingLeft, eventually, hostPidsInNs, pidNsOfJob, requireRoot, setConfig, statusOf, waitRunning } from './helpers';

const it = requireRoot() ? test : test.skip;

let d: TestDaemon;

/** Shell that leaves three escapees behind: a new session ignoring TERM and HUP, a double fork, and one with an empty environment. */
const ESCAPEES = [
  'setsid sh -c "trap \\"\\" TERM HUP; exec sleep 600" &',
  '(sh -c "trap \\"\\" TERM HUP; sleep 601" &) &',
  '(env -i sleep 602 &) &',
].join(' ');

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start({ configEdit: setConfig('stopGraceSeconds', 1) });
});
test.after(() => d?.destroy());

/** Starts `script`, waits until the job and its escapees (`procs` processes in all) run; returns id and pid namespace. */
async function startWithEscapees(args: string[], procs: number): Promise<{ id: string; pidns: string }> {
  const id = await d.run(args);
  await waitRunning(d, id);
  const pidns = pidNsOfJob(id);
  assert.ok(await eventually(() => hostPidsInNs(pidns).length >= procs), `the escapees of ${id} did not all start: ${hostPidsInNs(pidns).length} processes`);
  return { id, pidns };
}

it('after rnx stop nothing survives: not a new session, a double fork, a TERM-ignoring process or one without JOB_ID', async () => {
  const { id, pidns } = await startWithEscapees(['sh', '-c', `${ESCAPEES} trap "" TERM; sleep 603`], 5);
  const stop = await d.rnx(['stop', id], { timeoutMs: 30000 });
  assert.is(stop.code, 0, stop.stderr);
  assert.is((await d.waitDone(id)).status, 'STOPPED');
  await assertNothingLeft(d, id, pidns);
});

it('when the main process exits, the processes it left running are killed with it', async () => {
  // The main process waits until the test has seen it and its escapees run (a fixed sleep may be
  // over before a slow CLI on a loaded host reports RUNNING), then exits.
  const { id, pidns } = await startWithEscapees(['sh', '-c', `${ESCAPEES} until [ -e /tmp/go ]; do sleep 0.1; done; echo main-done`], 4);
  // As root on the host, the job's /tmp is reachable through any of its processes (some of them
  // are short-lived `sleep 0.1`s: the first one still there is used).
  const told = hostPidsInNs(pidns).some((pid) => {
    try {
      fs.writeFileSync(`/proc/${pid}/root/tmp/go`, '');
      return true;
    } catch {
      return false;
    }
  });
  assert.ok(told, `could not reach the /tmp of job ${id}`);
  const j = await d.waitDone(id);
  assert.is(j.status, 'COMPLETED');
  assert.is(j.exitCode, 0);
  assert.is((await d.rnx(['log', id])).stdout, 'main-done\n');
  await assertNothingLeft(d, id, pidns);
});

it('--timeout stops the whole job, escapees included: FAILED with reason timeout', async () => {
  // Long enough for a slow CLI on a loaded host to see the job and its escapees run first.
  const { id, pidns } = await startWithEscapees(['--timeout=8s', 'sh', '-c', `${ESCAPEES} trap "" TERM; sleep 603`], 5);
  const j = await d.waitDone(id, 20000);
  assert.is(j.status, 'FAILED');
  assert.match(String(j.failureReason), /timeout/);
  await assertNothingLeft(d, id, pidns);
});

it('if the daemon is killed (SIGKILL), its jobs die with it; the restarted daemon reports them and removes their cgroups and mounts', async () => {
  const { id, pidns } = await startWithEscapees(['sh', '-c', `${ESCAPEES} trap "" TERM; sleep 603`], 5);
  await d.stop('SIGKILL');
  // The kernel kills the job (PR_SET_PDEATHSIG on its PID 1, then the whole pid namespace);
  // its PID 1 lingers as a zombie until the host's init reaps it.
  const gone = await eventually(() => hostPidsInNs(pidns).length === 0, 10000);
  assert.ok(gone, `processes of job ${id} outlived the daemon: ${hostPidsInNs(pidns).join(' ')}`);
  await d.serve();
  const j = await statusOf(d, id);
  assert.is(j.status, 'FAILED');
  assert.match(String(j.failureReason), /daemon stopped while this job was running/);
  await assertNothingLeft(d, id, pidns);
});

test.run();
