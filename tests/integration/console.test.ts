/**
 * The web console in a real browser (Debian's chromium) against a real daemon, through the real
 * `rnx admin`: every page loads with no console error (CSP violations included), a job started
 * from the form shows its output live, stdout and stderr apart, and is the same job its `rnx run`
 * command starts; a running job is stopped and deleted from the UI; a log is downloaded; volumes
 * and networks are created and removed. Screenshots of each page go to tests/artifacts/console/.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ARTIFACTS, launchChromium, openPage, screenshot, startConsole, waitInPage, type ConsoleProcess } from '../helpers/console';
import { RNX, TestDaemon, exec } from '../helpers/daemon';

let d: TestDaemon;
let admin: ConsoleProcess;
let browser: Browser;
let context: BrowserContext;

test.before(async () => {
  d = await TestDaemon.start();
  admin = await startConsole(d);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
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

/** Text of the status badge in the page's heading. */
const headingStatus = "document.querySelector('h1 .badge')?.textContent";

/** The words a POSIX shell makes of a command line (its first word, rnx, dropped). */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${line.replace(/^rnx /, '')}`], { encoding: 'utf8' });
  return r.stdout.split('\0').slice(0, -1);
}

test('every page loads with no console error, under the strict policy', async () => {
  const done = await d.run(['sh', '-c', 'echo out-line; echo err-line >&2']);
  await d.waitDone(done);
  const { page, errors } = await openPage(context);
  const res = await page.goto(admin.url);
  assert.match(res!.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/);
  const pages: [string, string, string][] = [
    ['jobs', `#/default/jobs`, `document.querySelector('[data-job="${done}"]')`],
    ['job', `#/default/jobs/${done}`, `document.querySelector('[data-testid=log] .err')?.textContent.includes('err-line')`],
    ['run', '#/default/run', "document.querySelector('[data-testid=run-form]') && document.querySelectorAll('select[name=network] option').length > 3"],
    ['volumes', '#/default/volumes', "document.querySelector('[data-testid=create-volume]') && !document.body.innerText.includes('Loading')"],
    ['networks', '#/default/networks', "document.querySelector('[data-network=bridge]')"],
    ['monitoring', '#/default/monitoring', "Number(document.querySelector('[data-testid=chart-cpu]')?.dataset.points) >= 1 && !!document.querySelector('[data-testid=top-cpu] tr[data-pid]')"],
    ['runtimes', '#/default/runtimes', "document.querySelector('[data-runtime=\"python-3.11-ml\"][data-status=available]')?.innerText.includes('runtime install python-3.11-ml')"],
    ['workflows', '#/default/workflows', "!!document.querySelector('[data-testid=run-workflow]') && document.body.innerText.includes('No workflows on this node yet')"],
    ['schedules', '#/default/schedules', "document.body.innerText.includes('No recurring schedules on this node')"],
  ];
  for (const [name, hash, ready] of pages) {
    await page.goto(`${admin.origin}/${hash}`);
    await waitInPage(page, `the ${name} page`, ready);
    await screenshot(page, name);
  }
  // The job page keeps the streams apart: stdout plain, stderr marked.
  await page.goto(`${admin.origin}/#/default/jobs/${done}`);
  await waitInPage(page, 'the log', "document.querySelector('[data-testid=log] .out')?.textContent === 'out-line\\n'");
  assert.is(await page.locator('[data-testid=log] .err').textContent(), 'err-line\n');
  // Features the server lacks are not offered in the navigation.
  const nav = await page.locator('nav').innerText();
  assert.equal(nav.split('\n').map((s) => s.trim()).filter(Boolean), ['Jobs', 'Run a job', 'Workflows', 'Schedules', 'Monitoring', 'Runtimes', 'Volumes', 'Networks']);
  assert.equal(errors, [], `console errors:\n${errors.join('\n')}`);
  // The first paint of the jobs page, measured here for the record (the budget is 1 s; see README).
  await page.goto('about:blank');
  await page.goto(`${admin.origin}/#/default/jobs`);
  await waitInPage(page, 'the jobs table', `document.querySelector('[data-job="${done}"]')`);
  const paint = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    table: performance.now(),
  }));
  fs.writeFileSync(path.join(ARTIFACTS, 'first-paint.json'), JSON.stringify(paint) + '\n');
  assert.ok(paint.fcp > 0, 'the page painted');
  await page.close();
});

test('a job started from the form shows its output live, and is the job its rnx command starts', async () => {
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/run`);
  await waitInPage(page, 'the run form', "document.querySelectorAll('select[name=network] option').length > 3");
  await page.fill('input[name=command]', 'sh');
  await page.fill('textarea[name=args]', "-c\ncat data.txt; sh drop.sh; echo \"to stderr $GREETING\" >&2; exec sleep 120");
  await page.fill('textarea[name=env]', 'GREETING=hello world');
  await page.fill('input[name=maxMemory]', '64');
  await page.fill('input[name=maxPids]', '50');
  await page.fill('input[name=timeout]', '5m');
  await page.selectOption('select[name=network]', 'none');
  // One file from the picker, one dropped.
  await page.setInputFiles('input[name=files]', { name: 'data.txt', mimeType: 'text/plain', buffer: Buffer.from('from-picker\n') });
  // (A string: these tests compile without the DOM's types.)
  const dt = await page.evaluateHandle(`(() => {
    const t = new DataTransfer();
    t.items.add(new File(['echo from-drop\\n'], 'drop.sh', { type: 'text/x-sh' }));
    return t;
  })()`);
  await page.dispatchEvent('[data-testid=drop]', 'drop', { dataTransfer: dt });
  await waitInPage(page, 'both uploads listed', "document.querySelectorAll('[data-testid=uploads] li').length === 2");
  const command = await page.locator('[data-testid=command]').first().innerText();
  assert.is(command, `rnx run '--env=GREETING=hello world' --upload=data.txt --upload=drop.sh --network=none --max-memory=64 --max-pids=50 --timeout=5m sh -c 'cat data.txt; sh drop.sh; echo "to stderr $GREETING" >&2; exec sleep 120'`);
  await screenshot(page, 'run-filled');
  await page.click('[data-testid=submit]');
  await page.waitForURL(/#\/default\/jobs\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  // Live: the output is on the page while the job still runs (it sleeps for two minutes).
  await waitInPage(page, 'live output', "document.querySelector('[data-testid=log]')?.innerText.includes('to stderr hello world')");
  await waitInPage(page, 'the job RUNNING', `${headingStatus} === 'RUNNING'`, 5000);
  assert.is(await page.locator('[data-testid=log] .out').first().textContent(), 'from-picker\nfrom-drop\n');
  assert.is(await page.locator('[data-testid=log] .err').first().textContent(), 'to stderr hello world\n');
  await screenshot(page, 'job-live');

  // The command the form showed starts the same job when given to rnx.
  const cwd = fs.mkdtempSync(path.join(d.dir, 'cli-'));
  fs.writeFileSync(path.join(cwd, 'data.txt'), 'from-picker\n');
  fs.writeFileSync(path.join(cwd, 'drop.sh'), 'echo from-drop\n', { mode: 0o755 });
  const cli = await exec(RNX, ['--config', d.rnxConfig, '--json', ...shellWords(command)], { cwd });
  assert.is(cli.code, 0, cli.stderr);
  const viaCli = JSON.parse(cli.stdout) as { id: string };
  const [a, b] = await Promise.all([rnxJson<Record<string, unknown>>(['status', id]), rnxJson<Record<string, unknown>>(['status', viaCli.id])]);
  for (const k of ['command', 'args', 'environment', 'limits', 'workDir', 'uploads', 'network', 'volumes']) assert.equal(a[k], b[k], k);
  await d.rnx(['stop', viaCli.id]);

  // Stopped from the job's page, after the confirmation that shows the rnx command.
  await page.click('[data-testid=stop]');
  assert.ok((await page.locator('dialog[open]').innerText()).includes(`rnx stop ${id}`));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'STOPPED', `${headingStatus} === 'STOPPED'`);
  assert.is((await rnxJson<{ status: string }>(['status', id])).status, 'STOPPED');
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test('the log downloads whole, or one stream of it', async () => {
  const id = await d.run(['sh', '-c', 'for i in 1 2 3; do echo "o$i"; echo "e$i" >&2; done']);
  await d.waitDone(id);
  const { page } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/jobs/${id}`);
  await waitInPage(page, 'the log', "document.querySelector('[data-testid=log]')?.innerText.includes('e3')");
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
  assert.is(download.suggestedFilename(), `job-${id}.log`);
  const text = fs.readFileSync((await download.path())!, 'utf8');
  const cli = await d.rnx(['log', id]);
  assert.is(text.split('\n').sort().join('\n'), (cli.stdout + cli.stderr).split('\n').sort().join('\n'));
  const stdout = await page.evaluate(async (u) => (await fetch(u)).text(), `/api/n/default/jobs/${id}/log?stream=stdout`);
  assert.is(stdout, 'o1\no2\no3\n');
  await page.close();
});

test('a running job is stopped, then deleted, from the jobs list', async () => {
  const id = await d.run(['sleep', '300']);
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/jobs`);
  const row = `document.querySelector('[data-job="${id}"]')`;
  await waitInPage(page, 'the job RUNNING', `${row}?.querySelector('.badge')?.textContent === 'RUNNING'`);
  await page.click(`[data-job="${id}"] [data-testid=stop]`);
  assert.ok((await page.locator('dialog[open]').innerText()).includes(`rnx stop ${id}`));
  await page.click('dialog [data-testid=confirm]');
  // The list is live: the row turns STOPPED without a reload.
  await waitInPage(page, 'the job STOPPED', `${row}?.querySelector('.badge')?.textContent === 'STOPPED'`);
  assert.is((await rnxJson<{ status: string }>(['status', id])).status, 'STOPPED');
  await page.click(`[data-job="${id}"] [data-testid=delete]`);
  assert.ok((await page.locator('dialog[open]').innerText()).includes(`rnx delete ${id}`));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the row gone', `!${row}`);
  const gone = await d.rnx(['status', id]);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /not found/);
  // Filters: a status chip and the text filter narrow the list; the address keeps them.
  const other = await d.run(['echo', 'filter-me']);
  await d.waitDone(other);
  await page.fill('[data-testid=filter]', 'filter-me');
  await waitInPage(page, 'the filtered list', `document.querySelectorAll('[data-job]').length === 1 && !!document.querySelector('[data-job="${other}"]')`);
  assert.match(page.url(), /q=filter-me/);
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test('a volume and a network are created and removed from their pages', async () => {
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/volumes`);
  await page.fill('[data-testid=create-volume] input[name=name]', 'uivol');
  await page.fill('[data-testid=create-volume] input[name=size]', '16MB');
  await page.selectOption('[data-testid=create-volume] select[name=type]', 'memory');
  assert.is(await page.locator('[data-testid=command]').innerText(), 'rnx volume create uivol --size=16MB --type=memory');
  await page.click('[data-testid=create-volume] button[type=submit]');
  await waitInPage(page, 'the new volume', "document.querySelector('[data-volume=uivol]')");
  assert.equal((await rnxJson<{ name: string; type: string }[]>(['volume', 'list'])).map((v) => [v.name, v.type]), [['uivol', 'memory']]);
  // A refusal shows the server's message in place.
  await page.fill('[data-testid=create-volume] input[name=name]', 'uivol');
  await page.fill('[data-testid=create-volume] input[name=size]', '16MB');
  await page.click('[data-testid=create-volume] button[type=submit]');
  await waitInPage(page, 'the refusal', "document.querySelector('[role=alert]')?.textContent.includes('uivol')");
  await screenshot(page, 'volumes-with-volume');
  await page.click('[data-volume=uivol] [data-testid=remove]');
  assert.ok((await page.locator('dialog[open]').innerText()).includes('rnx volume remove uivol'));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the volume gone', "!document.querySelector('[data-volume=uivol]')");
  assert.equal(await rnxJson(['volume', 'list']), []);

  const k = Math.floor(Math.random() * 16384);
  const cidr = `10.${64 + (k >> 8)}.${k & 255}.0/24`;
  await page.goto(`${admin.origin}/#/default/networks`);
  await page.fill('[data-testid=create-network] input[name=name]', 'uinet');
  await page.fill('[data-testid=create-network] input[name=cidr]', cidr);
  await page.click('[data-testid=create-network] button[type=submit]');
  await waitInPage(page, 'the new network', "document.querySelector('[data-network=uinet]')");
  assert.ok((await rnxJson<{ name: string; cidr: string }[]>(['network', 'list'])).some((n) => n.name === 'uinet' && n.cidr === cidr));
  await page.click('[data-network=uinet] [data-testid=remove]');
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the network gone', "!document.querySelector('[data-network=uinet]')");
  assert.not.ok((await rnxJson<{ name: string }[]>(['network', 'list'])).some((n) => n.name === 'uinet'));
  // The 409 of the refused create above is the only expected console line.
  assert.ok(errors.every((e) => /status of 409/.test(e)), errors.join('\n'));
  await page.close();
});

test.run();
