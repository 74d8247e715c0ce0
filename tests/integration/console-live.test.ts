/**
 * The console's live pages in a real browser (Debian's chromium) against a real daemon that samples
 * jobs every second: the monitoring page charts the host live and lists its busiest processes; a
 * job's page charts its CPU, memory and I/O while it runs; scheduled jobs are canceled from the list
 * and from their page; the jobs list pages through the server's pages. Screenshots go to
 * tests/artifacts/console/.
 */
import * as fs from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchChromium, openPage, screenshot, startConsole, waitInPage, type ConsoleProcess } from '../helpers/console';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
let admin: ConsoleProcess;
let browser: Browser;
let context: BrowserContext;

test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/jobIntervalSeconds: \d+/, 'jobIntervalSeconds: 1') });
  admin = await startConsole(d);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

test.after(async () => {
  await context?.close();
  await browser?.close();
  await admin?.stop();
  if (d) {
    await d.stop();
    await d.destroy();
  }
});

/** `rnx --json` against the test daemon, parsed. */
async function rnxJson<T>(args: string[]): Promise<T> {
  const r = await d.rnx(['--json', ...args]);
  if (r.code !== 0) throw new Error(`rnx ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** `rnx job metrics --json`: one sample per line. */
async function jobSamples(id: string): Promise<{ cpuPercent: number }[]> {
  const r = await d.rnx(['--json', 'job', 'metrics', id]);
  if (r.code !== 0) throw new Error(`rnx job metrics failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Points a chart of the page shows. */
const points = (id: string) => `Number(document.querySelector('[data-testid=chart-${id}]')?.dataset.points ?? 0)`;

test('the monitoring page charts the host live and lists its busiest processes', async () => {
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/monitoring`);
  // Live: the charts gain points as the server's samples arrive (one every 2 s).
  await waitInPage(page, 'three samples in every chart', ['cpu', 'memory', 'disk', 'network'].map((c) => `${points(c)} >= 3`).join(' && '), 60_000);
  assert.is(await page.locator('[data-testid=chart-cpu] canvas').count(), 1, 'uPlot drew the CPU chart');
  const hostname = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  assert.ok((await page.locator('h2').allInnerTexts()).includes(`Host ${hostname}`));
  // The memory in the title is the server's figure for this machine.
  const total = (await rnxJson<{ memory: { totalBytes: number } }>(['monitor', 'status'])).memory.totalBytes;
  assert.match(await page.locator('h2', { hasText: /^Memory · / }).innerText(), new RegExp(`of ${+(total / 1024 ** 3).toFixed(1)}GB`));
  // Top processes: real pids of this machine.
  await waitInPage(page, 'top processes', "document.querySelectorAll('[data-testid=top-cpu] tr[data-pid]').length > 0");
  const pids = await page.locator('[data-testid=top-memory] tr[data-pid]').evaluateAll((rows) => rows.map((r) => Number((r as unknown as { dataset: Record<string, string> }).dataset.pid)));
  assert.ok(pids.length > 0 && pids.some((p) => fs.existsSync(`/proc/${p}`)), `pids ${pids.join(',')} are processes of this host`);
  assert.ok((await page.locator('[data-testid=disks] tbody tr').count()) > 0, 'disks listed');
  await screenshot(page, 'monitoring');
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test("a job's page charts its CPU, memory and I/O while it runs, and keeps them after", async () => {
  const id = await d.run(['--max-cpu=50', 'sh', '-c', 'dd if=/dev/zero of=/work/f bs=64k count=64 conv=fsync 2>/dev/null; while :; do :; done']);
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/jobs/${id}`);
  await waitInPage(page, 'live samples', `${points('job-cpu')} >= 3`, 60_000);
  // The samples are the server's: the CPU chart's last value is what rnx job metrics reports (a busy loop at its 50% limit).
  const samples = await jobSamples(id);
  assert.ok(samples.some((s) => s.cpuPercent > 20), `the busy job used CPU: ${samples.map((s) => s.cpuPercent).join(',')}`);
  const before = Number(await page.locator('[data-testid=chart-job-cpu]').getAttribute('data-points'));
  await waitInPage(page, 'one more sample, live', `${points('job-cpu')} > ${before}`, 30_000);
  await screenshot(page, 'job-metrics');
  await d.rnx(['stop', id]);
  await waitInPage(page, 'STOPPED', "document.querySelector('h1 .badge')?.textContent === 'STOPPED'");
  // Reopened after the end: the stored history is charted.
  const stored = (await jobSamples(id)).length;
  await page.reload();
  await waitInPage(page, 'the stored samples', `Number(document.querySelector('[data-testid=job-charts]')?.dataset.samples) === ${stored} && ${points('job-memory')} === ${stored}`);
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test('a scheduled job is canceled from the jobs list and from its page, after a confirmation', async () => {
  const a = await d.run(['--schedule=1h', 'echo', 'later-a']);
  const b = await d.run(['--schedule=1h', 'echo', 'later-b']);
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/jobs`);
  const row = `document.querySelector('[data-job="${a}"]')`;
  await waitInPage(page, 'the job SCHEDULED', `${row}?.querySelector('.badge')?.textContent === 'SCHEDULED'`);
  assert.is(await page.locator(`[data-job="${a}"] [data-testid=stop]`).count(), 0, 'a scheduled job is canceled, not stopped');
  await page.click(`[data-job="${a}"] [data-testid=cancel]`);
  assert.ok((await page.locator('dialog[open]').innerText()).includes(`rnx cancel ${a}`));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the job CANCELED', `${row}?.querySelector('.badge')?.textContent === 'CANCELED'`);
  assert.is((await rnxJson<{ status: string }>(['status', a])).status, 'CANCELED');

  await page.goto(`${admin.origin}/#/default/jobs/${b}`);
  await waitInPage(page, 'the cancel button', "!!document.querySelector('[data-testid=cancel]')");
  assert.is(await page.locator('[data-testid=stop]').count(), 0);
  await screenshot(page, 'job-scheduled');
  await page.click('[data-testid=cancel]');
  assert.ok((await page.locator('dialog[open]').innerText()).includes(`rnx cancel ${b}`));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'CANCELED', "document.querySelector('h1 .badge')?.textContent === 'CANCELED'");
  assert.is((await rnxJson<{ status: string }>(['status', b])).status, 'CANCELED');
  // A job that is not scheduled any more is refused by the server, with its message in place.
  const res = await page.evaluate(async (u) => {
    const csrf = (await (await fetch('/api/session')).json()).csrf;
    const r = await fetch(u, { method: 'POST', headers: { 'X-Joblet-CSRF': csrf } });
    return { status: r.status, body: await r.json() };
  }, `/api/n/default/jobs/${b}/cancel`);
  assert.is(res.status, 409);
  assert.match(res.body.error.message, /CANCELED/);
  // That 409 is the only expected console line.
  assert.ok(errors.every((e) => /status of 409/.test(e)), errors.join('\n'));
  await page.close();
});

test('the jobs list pages through the server, newest first, and filters by status on the server', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await d.run(['echo', `page-${i}`]));
  for (const id of ids) await d.waitDone(id);
  const newest = (await rnxJson<{ id: string }[]>(['list'])).slice(-4).reverse().map((j) => j.id);
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/jobs?limit=2`);
  const rows = "[...document.querySelectorAll('[data-job]')].map((r) => r.dataset.job).join(',')";
  await waitInPage(page, 'the newest page', `${rows} === '${newest.slice(0, 2).join(',')}'`);
  assert.is(await page.locator('[data-testid=newer]').isDisabled(), true);
  await page.click('[data-testid=older]');
  await waitInPage(page, 'the next page', `${rows} === '${newest.slice(2, 4).join(',')}'`);
  assert.match(page.url(), /before=/);
  await page.click('[data-testid=newer]');
  await waitInPage(page, 'the newest page again', `${rows} === '${newest.slice(0, 2).join(',')}'`);
  // The status chips ask the server: only canceled jobs (from the test before, or none).
  await page.click('[data-testid=status-chips] >> text=Canceled');
  await waitInPage(page, 'only CANCELED', "document.querySelectorAll('[data-job]').length > 0 && [...document.querySelectorAll('[data-job] .badge')].every((b) => b.textContent === 'CANCELED')");
  assert.match(page.url(), /status=CANCELED/);
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test.run();
