/**
 * Not a test: prints the per-job cost of the sandbox, spawnSandboxed → started and → exit for
 * /bin/true (median of N runs), next to a plain child_process spawn of the same Node running
 * the same bundle without the init arg, as the reference for Node's own start-up.
 * Run: node --import tsx tests/privileged/sandbox/measure-startup.ts [runs]
 */
import { spawnSync } from 'node:child_process';
import { spawnSandboxed } from '../../../src/sandbox/spawn';
import { initCommand, jobDirs, makeSpec, requireRoot } from './helpers';

if (!requireRoot()) process.exit(0);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 20);
  const cmd = initCommand();
  const started: number[] = [];
  const exited: number[] = [];
  const dirs = jobDirs();
  try {
    for (let i = 0; i < runs + 2; i++) {
      const t0 = process.hrtime.bigint();
      const proc = spawnSandboxed(makeSpec(dirs, '/bin/true'), cmd);
      proc.stdout.resume();
      proc.stderr.resume();
      await proc.started;
      const t1 = process.hrtime.bigint();
      await proc.exited;
      const t2 = process.hrtime.bigint();
      if (i < 2) continue; // warm-up: page cache, first koffi extraction
      started.push(Number(t1 - t0) / 1e6);
      exited.push(Number(t2 - t0) / 1e6);
    }
  } finally {
    dirs.cleanup();
  }
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(cmd[0] as string, [...cmd.slice(1), 'not-the-init'], { stdio: 'ignore' });
    bare.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const f = (n: number): string => `${n.toFixed(1)} ms`;
  console.log(`node ${process.version}, ${runs} runs of /bin/true`);
  console.log(`  spawnSandboxed → started : median ${f(median(started))} (min ${f(Math.min(...started))})`);
  console.log(`  spawnSandboxed → exited  : median ${f(median(exited))} (min ${f(Math.min(...exited))})`);
  console.log(`  reference, bare node start+exit of the same bundle: median ${f(median(bare))}`);
}

void main();
