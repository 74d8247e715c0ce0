/**
 * The console's live pages in a real browser (Debian's chromium) against a real daemon that samples
 * jobs every second: the monitoring page charts the host live and lists its busiest processes; a
 * job's page charts its CPU, memory and I/O while it runs; scheduled jobs are canceled from the list
 * and from their page; the jobs list pages through the server's pages; a recurring schedule is made
 * from the run form, paused, resumed and removed; a workflow file is run from the page and its
 * graph advances live to COMPLETED; only pages with charts load the chart code. Screenshots go to
 * tests/artifacts/console/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
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
    // destroy() detaches what is still mounted under the daemon's dir (volumes) before removing it.
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
  // uPlot comes with the first chart (charts.js): drawn once it has loaded.
  await waitInPage(page, 'the CPU chart drawn', "document.querySelector('[data-testid=chart-cpu]')?.dataset.drawn === 'yes'");
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
  await screenshot(page, 'monitoring-live');
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

test('only pages with charts fetch the chart code (charts.js), and there the charts draw', async () => {
  const id = await d.run(['--max-cpu=30', 'sh', '-c', 'while :; do :; done']);
  const { page, errors } = await openPage(context);
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(`${admin.origin}/#/default/jobs`);
  await waitInPage(page, 'the job in the list', `document.querySelector('[data-job="${id}"] .badge')?.textContent === 'RUNNING'`);
  for (const p of ['run', 'volumes', 'schedules']) {
    await page.goto(`${admin.origin}/#/default/${p}`);
    await waitInPage(page, `the ${p} page`, "!document.body.innerText.includes('Loading')");
  }
  assert.ok(fetched.includes('/app.js'), fetched.join(' '));
  assert.not.ok(fetched.includes('/charts.js'), `fetched: ${fetched.join(' ')}`);
  // The job's page (the same document: only the address after # changes) loads it once and draws.
  await page.goto(`${admin.origin}/#/default/jobs/${id}`);
  await waitInPage(page, 'the CPU chart drawn with samples', `document.querySelector('[data-testid=chart-job-cpu]')?.dataset.drawn === 'yes' && ${points('job-cpu')} >= 3`, 60_000);
  assert.is(fetched.filter((f) => f === '/charts.js').length, 1);
  // Drawn for real: the canvas holds the CPU line's blue (#0969da), not only axes and grid.
  const blue = `(() => {
    const c = document.querySelector('[data-testid=chart-job-cpu] canvas');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 200 && px[i] < 60 && px[i + 1] > 70 && px[i + 1] < 140 && px[i + 2] > 180) n++;
    return n;
  })()`;
  await waitInPage(page, 'the line on the canvas', `${blue} > 20`, 30_000);
  assert.is(await page.locator('[data-testid=chart-job-memory][data-drawn=yes] canvas').count(), 1);
  await d.rnx(['stop', id]);
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
  const detail = await rnxJson<{ status: string; history: { status: string }[] }>(['status', b]);
  assert.is(detail.status, 'CANCELED');
  // The page lists the job's states as the server recorded them.
  const states = detail.history.map((h) => h.status).join(',');
  assert.match(states, /^SCHEDULED,.*CANCELED$/);
  await waitInPage(page, 'the states', `[...document.querySelectorAll('[data-testid=states] .badge')].map((b) => b.textContent).join(',') === '${states}'`);
  // A job that is not scheduled any more is refused by the server, with its message in place.
  const res = await page.evaluate(async (u) => {
    const csrf = ((await (await fetch('/api/session')).json()) as { csrf: string }).csrf;
    const r = await fetch(u, { method: 'POST', headers: { 'X-Joblet-CSRF': csrf } });
    return { status: r.status, body: (await r.json()) as { error: { message: string } } };
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

test('a recurring schedule is made from the run form, then paused, resumed and removed', async () => {
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/run`);
  await waitInPage(page, 'the timing fields', "!!document.querySelector('input[name=cron]')");
  await page.fill('input[name=command]', 'echo');
  await page.fill('textarea[name=args]', 'tick');
  await page.fill('input[name=cron]', '@every 1h');
  await page.selectOption('select[name=concurrency]', 'forbid');
  await page.fill('input[name=scheduleName]', 'ui-hourly');
  assert.is(await page.locator('[data-testid=command]').first().innerText(), "rnx run '--cron=@every 1h' --concurrency=forbid --name=ui-hourly echo tick");
  await page.click('[data-testid=submit]');
  await page.waitForURL(/#\/default\/schedules$/);
  const row = "document.querySelector('[data-schedule=ui-hourly]')";
  await waitInPage(page, 'the schedule listed', `${row}?.dataset.paused === 'false'`);
  const listed = () => rnxJson<{ name: string; paused: boolean; cron: string; concurrency: string }[]>(['schedule', 'list']);
  assert.equal((await listed()).map((x) => [x.name, x.cron, x.concurrency, x.paused]), [['ui-hourly', '@every 1h', 'forbid', false]]);
  await page.click('[data-schedule=ui-hourly] [data-testid=pause]');
  await waitInPage(page, 'paused', `${row}?.dataset.paused === 'true'`);
  assert.is((await listed())[0]!.paused, true);
  await screenshot(page, 'schedule-paused');
  await page.click('[data-schedule=ui-hourly] [data-testid=resume]');
  await waitInPage(page, 'resumed', `${row}?.dataset.paused === 'false'`);
  assert.is((await listed())[0]!.paused, false);
  await page.click('[data-schedule=ui-hourly] [data-testid=remove]');
  assert.ok((await page.locator('dialog[open]').innerText()).includes('rnx schedule remove ui-hourly'));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the schedule gone', `!${row}`);
  assert.equal(await listed(), []);
  // A bad cron expression is refused with rnx's message, in place.
  await page.goto(`${admin.origin}/#/default/run`);
  await waitInPage(page, 'the timing fields', "!!document.querySelector('input[name=cron]')");
  await page.fill('input[name=command]', 'echo');
  await page.fill('input[name=cron]', 'every tuesday');
  await page.click('[data-testid=submit]');
  await waitInPage(page, 'the refusal', "document.querySelector('[role=alert]')?.textContent.includes('--cron')");
  assert.ok(errors.every((e) => /status of 400/.test(e)), errors.join('\n'));
  await page.close();
});

test("a workflow file runs from the page and its graph advances live to COMPLETED", async () => {
  await d.rnx(['volume', 'create', 'wfgate', '--size=1MB', '--type=memory']);
  const gate = (await rnxJson<{ name: string; path: string }[]>(['volume', 'list'])).find((v) => v.name === 'wfgate')!.path;
  const yaml = [
    'name: ui-gated',
    'jobs:',
    '  wait-gate:',
    '    command: sh',
    "    args: [-c, 'while [ ! -f /volumes/wfgate/go ]; do sleep 0.2; done; echo through']",
    '    volumes: [wfgate]',
    '  after-a: {command: echo, args: [a], requires: [{wait-gate: COMPLETED}]}',
    '  after-b: {command: echo, args: [b], requires: [{wait-gate: COMPLETED}]}',
    '  last: {command: echo, args: [done], requires: [{after-a: COMPLETED}, {after-b: COMPLETED}]}',
    '',
  ].join('\n');
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/workflows`);
  await page.setInputFiles('[data-testid=run-workflow] input[type=file]', { name: 'gated.yaml', mimeType: 'application/yaml', buffer: Buffer.from(yaml) });
  await waitInPage(page, 'the file shown', "document.querySelector('textarea[name=yaml]')?.value.includes('ui-gated')");
  assert.is(await page.locator('[data-testid=run-workflow] [data-testid=command]').innerText(), 'rnx workflow run gated.yaml');
  await page.click('[data-testid=run-workflow-submit]');
  await page.waitForURL(/#\/default\/workflows\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  const status = (n: string) => `document.querySelector('[data-node="${n}"]')?.dataset.status`;
  // The graph: four boxes in three columns, the gate running and the rest waiting for it.
  await waitInPage(page, 'the gate RUNNING', `${status('wait-gate')} === 'RUNNING'`);
  assert.is(await page.locator('[data-testid=dag] .dag-edge').count(), 4);
  assert.equal(await Promise.all(['after-a', 'after-b', 'last'].map((n) => page.evaluate(status(n)))), ['PENDING', 'PENDING', 'PENDING']);
  assert.ok((await page.locator('[data-testid=yaml]').innerText()).includes('ui-gated'));
  await screenshot(page, 'workflow-running');
  // Opening the gate from outside: the page follows without a reload.
  fs.writeFileSync(path.join(gate, 'go'), '');
  await waitInPage(page, 'every job COMPLETED', ['wait-gate', 'after-a', 'after-b', 'last'].map((n) => `${status(n)} === 'COMPLETED'`).join(' && '), 60_000);
  await waitInPage(page, 'the workflow COMPLETED', "document.querySelector('h1 .badge')?.textContent === 'COMPLETED'");
  assert.is((await rnxJson<{ status: string }>(['workflow', 'status', id])).status, 'COMPLETED');
  await screenshot(page, 'workflow-completed');
  // The list shows it, done.
  await page.goto(`${admin.origin}/#/default/workflows`);
  await waitInPage(page, 'the workflow listed', `document.querySelector('[data-workflow="${id}"] .badge')?.textContent === 'COMPLETED'`);
  await screenshot(page, 'workflows-list');
  // Deleted from its page, after the confirmation: gone from the list and from the server, its jobs with it.
  const jobIds = (await rnxJson<{ jobs: { id: string }[] }>(['workflow', 'status', id])).jobs.map((j) => j.id);
  await page.goto(`${admin.origin}/#/default/workflows/${id}`);
  await waitInPage(page, 'the delete button', "!!document.querySelector('[data-testid=delete]')");
  await page.click('[data-testid=delete]');
  assert.ok((await page.locator('dialog[open]').innerText()).includes(`rnx workflow delete ${id}`));
  await page.click('dialog [data-testid=confirm]');
  await page.waitForURL(/#\/default\/workflows$/);
  await waitInPage(page, 'the list without it', `!!document.querySelector('[data-testid=workflows], .empty') && !document.querySelector('[data-workflow="${id}"]')`);
  assert.equal(await rnxJson(['workflow', 'list']), []);
  assert.is((await d.rnx(['status', jobIds[0]!])).code, 1);
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test.run();
