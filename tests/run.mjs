// Runs every *.test.ts file (uvu suites) in its own process with the product's Node and tsx,
// tier by tier, and ends with one summary line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname));
const tiers = ['unit', 'integration', 'privileged'];
const filters = process.argv.slice(2);

function files(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  }).sort();
}

const selected = tiers.flatMap((t) => files(path.join(root, t)).map((f) => ({ tier: t, file: f })))
  .filter(({ tier, file }) => filters.length === 0 || filters.some((f) => f === tier || file.includes(f)));

let passed = 0, failed = 0, skipped = 0;
const failures = [];
const started = Date.now();
for (const { tier, file } of selected) {
  const rel = path.relative(path.dirname(root), file);
  const t0 = Date.now();
  // 30 min: the runtime tests build root filesystems from the archive, slow on a busy 2-core machine.
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30 * 60 * 1000 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const m = /Total:\s+(\d+)\s+Passed:\s+(\d+)\s+Skipped:\s+(\d+)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
  const total = m ? +m[1] : 0, ok = m ? +m[2] : 0, skip = m ? +m[3] : 0;
  const bad = r.status !== 0 || !m || ok + skip < total;
  passed += ok;
  skipped += skip;
  const nFailed = bad ? Math.max(1, total - ok - skip) : 0;
  failed += nFailed;
  process.stdout.write(`${bad ? 'FAIL' : 'ok  '} ${tier.padEnd(11)} ${rel} (${ok}/${total}${skip ? `, ${skip} skipped` : ''}, ${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
  if (bad) {
    failures.push(rel);
    process.stdout.write(out.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
  }
  if (skip && process.env.JOBLET_REQUIRE_PRIVILEGED === '1') {
    failed += skip;
    failures.push(`${rel} (skipped tests are failures in CI)`);
  }
}
process.stdout.write(`\n${failures.length ? `Failed: ${failures.join(', ')}\n` : ''}took ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || selected.length === 0 ? 1 : 0);
