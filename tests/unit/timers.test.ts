/** The daemon's timer queue: order, replacement, deletion, far-future re-arming, failures isolated. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TimerQueue } from '../../src/daemon/schedule/timers';
import { installCrashGuard, CRASH_EXIT_CODE } from '../../src/daemon/crash-guard';

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('entries fire in time order, a replaced one at its new time, a deleted one never; a throwing one does not stop the rest', async () => {
  const logs: string[] = [];
  const q = new TimerQueue((m) => logs.push(m));
  const fired: string[] = [];
  const t = Date.now();
  q.set('c', t + 60, () => fired.push('c'));
  q.set('a', t + 20, () => fired.push('a'));
  q.set('b', t + 40, () => {
    fired.push('b');
    throw new Error('boom');
  });
  q.set('x', t + 30, () => fired.push('x'));
  q.delete('x');
  q.set('a', t + 50, () => fired.push('a2'));
  await until(() => fired.length === 3);
  assert.equal(fired, ['b', 'a2', 'c']);
  assert.match(logs[0]!, /timer b failed: Error: boom/);
  assert.is(q.size, 0);
  q.stop();
});

test('a time beyond setTimeout\'s 24.8-day range is held, not fired at once', async () => {
  const q = new TimerQueue(() => undefined);
  let fired = false;
  q.set('far', Date.now() + 40 * 86_400_000, () => (fired = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(fired);
  assert.is(q.size, 1);
  q.stop();
  assert.is(q.size, 0);
});

test('crash guard: an unhandled rejection is logged and survived; an uncaught exception logs and exits 70', () => {
  const logs: string[] = [];
  const exits: number[] = [];
  const remove = installCrashGuard((m) => logs.push(m), (c) => exits.push(c));
  try {
    process.emit('unhandledRejection', new Error('lost promise'), Promise.resolve());
    assert.match(logs[0]!, /^BUG: unhandled promise rejection \(the daemon keeps running\): Error: lost promise/);
    assert.equal(exits, []);
    (process.emit as (e: string, ...a: unknown[]) => boolean)('uncaughtException', new Error('half-done'), 'uncaughtException');
    assert.match(logs[1]!, /^FATAL: uncaught exception; the daemon's state cannot be trusted any more, exiting with code 70/);
    assert.equal(exits, [CRASH_EXIT_CODE]);
  } finally {
    remove();
  }
});

test.run();
