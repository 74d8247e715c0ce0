/**
 * Not a test: a stand-in for the daemon in pool.test.ts. Opens a pool of two warm inits, prints
 * their pids ("pids [..]") once both are ready and waits to be killed.
 */
import { WarmPool } from '../../../src/sandbox/pool';
import { startInit } from '../../../src/sandbox/spawn';
import { initCommand } from './helpers';

const cmd = initCommand();
const pool = new WarmPool({ size: 2, maxIdleMs: 600_000, start: () => startInit(cmd) });
pool.open();
pool.fill();
const timer = setInterval(() => {
  if (pool.stats().ready < 2) return;
  clearInterval(timer);
  process.stdout.write(`pids ${JSON.stringify(pool.pids())}\n`);
}, 25);
setInterval(() => undefined, 60_000);
