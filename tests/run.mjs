// Runs every *.test.ts file (uvu suites) in its own process with the product's Node and tsx, and
// ends with one summary line: "N passed, N failed".
//
// Files run in parallel: unit files with one worker per core, integration and privileged files
// with JOBLET_TEST_JOBS workers (default 2; every file makes its own daemon, state dir, cgroup
// instance and networks, so they do not share anything). A file whose first lines carry the tag
// `test:serial` (it loads the whole machine, or measures shares of it) runs alone, after the rest.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname));
const tiers = ['unit', 'integration', 'privileged'];
const filters = process.argv.slice(2);
const jobs = Math.max(1, Number(process.env.JOBLET_TEST_JOBS) || 2);
// 30 min: the runtime tests build root filesystems from the archive, slow on a busy 2-core machine.
const PER_FILE_TIMEOUT_MS = 30 * 60 * 1000;

function files(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  }).sort();
}

/** True when the file asks to run alone (tag in its first 20 lines). */
function isSerial(file) {
  return fs.readFileSync(file, 'utf8').split('\n', 20).some((l) => l.includes('test:serial'));
}

const selected = tiers.flatMap((t) => files(path.join(root, t)).map((f) => ({ tier: t, file: f, serial: isSerial(f) })))
  .filter(({ tier, file }) => filters.length === 0 || filters.some((f) => f === tier || file.includes(f)));

let passed = 0, failed = 0, skipped = 0;
const failures = [];
const started = Date.now();

/** Run one test file; resolves with its exit status and output. */
function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', path.join(root, 'helpers/uvu-hooks.cjs'), '--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n(killed: still running after ${PER_FILE_TIMEOUT_MS / 60000} minutes)\n`;
      child.kill('SIGKILL');
    }, PER_FILE_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

/** Run a file and account for its result. */
async function one({ tier, file }) {
  const rel = path.relative(path.dirname(root), file);
  const t0 = Date.now();
  const r = await runFile(file);
  const m = /Total:\s+(\d+)\s+Passed:\s+(\d+)\s+Skipped:\s+(\d+)/.exec(r.out.replace(/\x1b\[[0-9;]*m/g, ''));
  const total = m ? +m[1] : 0, ok = m ? +m[2] : 0, skip = m ? +m[3] : 0;
  const bad = r.status !== 0 || !m || ok + skip < total;
  passed += ok;
  skipped += skip;
  failed += bad ? Math.max(1, total - ok - skip) : 0;
  let report = `${bad ? 'FAIL' : 'ok  '} ${tier.padEnd(11)} ${rel} (${ok}/${total}${skip ? `, ${skip} skipped` : ''}, ${((Date.now() - t0) / 1000).toFixed(1)}s)\n`;
  if (bad) {
    failures.push(rel);
    report += r.out.split('\n').map((l) => `    ${l}`).join('\n') + '\n';
  } else {
    // What a passing file still wants seen (a helper that had to clean up after the product).
    const notices = r.out.split('\n').filter((l) => l.startsWith('notice: '));
    if (notices.length) report += notices.map((l) => `    ${l}`).join('\n') + '\n';
  }
  if (skip && process.env.JOBLET_REQUIRE_PRIVILEGED === '1') {
    failed += skip;
    failures.push(`${rel} (skipped tests are failures in CI)`);
  }
  process.stdout.write(report);
}

/** Run `items` with at most `width` at a time. */
async function pool(items, width) {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await one(item);
  };
  await Promise.all(Array.from({ length: Math.min(width, queue.length) }, worker));
}

await pool(selected.filter((s) => s.tier === 'unit' && !s.serial), os.availableParallelism());
await pool(selected.filter((s) => s.tier !== 'unit' && !s.serial), jobs);
await pool(selected.filter((s) => s.serial), 1);

process.stdout.write(`\n${failures.length ? `Failed: ${failures.join(', ')}\n` : ''}took ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || selected.length === 0 ? 1 : 0);
