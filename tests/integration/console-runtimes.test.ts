/**
 * Runtimes in the web console, in a real browser (Debian's chromium) against a real daemon: a job
 * run from the form uses the runtime chosen from the node's list; a runtime that is gone is
 * refused as `rnx run --runtime` refuses it; the runtimes page tests a runtime (pass and fail,
 * with its output), removes one after a confirmation (refused while a job uses it, with the
 * server's message), installs a built-in with its progress streamed live while the server builds,
 * and cancels an install; a viewer node's page offers none of it and the console refuses it.
 *
 * Installed runtimes are made in a moment (tests/helpers/tiny-runtime.ts). Installs use an archive
 * the test controls: a `file:` archive under the host's /usr (the build sandbox sees that) whose
 * InRelease is a FIFO held open by the test, so apt waits there — the build stays in its "Resolve
 * packages" phase until the test lets it go, and then fails fast for want of a Release file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertReadOnlyRefuses, launchChromium, openPage, screenshot, startConsole, waitInPage, type ConsoleProcess } from '../helpers/console';
import { RNX, TestDaemon, exec } from '../helpers/daemon';
import { placeTinyRuntime } from '../helpers/tiny-runtime';

/** The archive of the install tests: visible inside build sandboxes, which bind the host's /usr. */
const ARCHIVE = `/usr/local/share/joblet-console-test-archive-${process.pid}`;
const IN_RELEASE = path.join(ARCHIVE, 'dists', 'bookworm', 'InRelease');

let d: TestDaemon;
let admin: ConsoleProcess;
let viewer: ConsoleProcess;
let browser: Browser;
let context: BrowserContext;
/** The write end of the FIFO while it holds apt. */
let holding: number | undefined;

test.before(async () => {
  fs.mkdirSync(path.dirname(IN_RELEASE), { recursive: true, mode: 0o755 });
  d = await TestDaemon.start({ configEdit: (y) => `${y}runtimes:\n  sources: ["deb [trusted=yes] file:${ARCHIVE} bookworm main"]\n` });
  placeTinyRuntime(d.stateDir, { name: 'tiny-sh', smoke: 'echo smoke ok; echo "runtime $TINY_RUNTIME"' });
  placeTinyRuntime(d.stateDir, { name: 'tiny-broken', smoke: 'echo about to fail; echo "no numpy here" >&2; exit 3' });
  // Installed runtimes are read at start-up.
  await d.stop();
  await d.serve();
  admin = await startConsole(d);
  viewer = await startConsole(d, ['--node', 'viewer']);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

test.after(async () => {
  release();
  await context?.close();
  await browser?.close();
  await admin?.stop();
  await viewer?.stop();
  await d?.destroy();
  fs.rmSync(ARCHIVE, { recursive: true, force: true });
});

/** Make InRelease a FIFO with a writer held open: apt's read of it waits until release(). */
function hold(): void {
  fs.rmSync(IN_RELEASE, { force: true });
  execFileSync('mkfifo', ['-m', '0644', IN_RELEASE]);
  // O_RDWR does not wait for a reader; apt's read then waits for data that never comes.
  holding = fs.openSync(IN_RELEASE, fs.constants.O_RDWR);
}

/** Let apt go: it reads an empty InRelease, finds no Release file, and the build fails. */
function release(): void {
  fs.rmSync(IN_RELEASE, { force: true });
  if (holding !== undefined) fs.closeSync(holding);
  holding = undefined;
}

/** `rnx --json` against the test daemon, parsed. */
async function rnxJson<T>(args: string[]): Promise<T> {
  const r = await d.rnx(['--json', ...args]);
  if (r.code !== 0) throw new Error(`rnx ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Status of one runtime as `rnx runtime list --json` says, or undefined when it is not listed. */
async function runtimeStatus(name: string): Promise<string | undefined> {
  return (await rnxJson<{ name: string; status: string }[]>(['runtime', 'list'])).find((r) => r.name === name)?.status;
}

/** The runtimes page, loaded. */
async function runtimesPage(page: Page, origin = admin.origin, node = 'default'): Promise<void> {
  await page.goto(`${origin}/#/${node}/runtimes`);
  await waitInPage(page, 'the runtimes list', "!!document.querySelector('[data-runtime=\"tiny-sh\"][data-status=installed]')");
}

/** The install panel of `runtime`, as a selector. */
const panel = (runtime: string) => `[data-testid=install-panel][data-install="${runtime}"]`;

test('a job run from the form uses the runtime chosen from the node\'s installed runtimes', async () => {
  const { page, errors } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/run`);
  await waitInPage(page, 'the runtimes in the form', "document.querySelectorAll('select[name=runtime] option').length === 3");
  // The host's /usr first and chosen; then the installed runtimes only (no built-in that is merely available).
  const options = await page.locator('select[name=runtime] option').evaluateAll((os) => os.map((o) => [(o as unknown as { value: string }).value, o.textContent]));
  assert.equal(options, [['', 'host /usr (none)'], ['tiny-broken', 'tiny-broken — python 3.11'], ['tiny-sh', 'tiny-sh — python 3.11']]);
  assert.is(await page.locator('select[name=runtime]').inputValue(), '');
  await page.fill('input[name=command]', 'python3');
  await page.selectOption('select[name=runtime]', 'tiny-sh');
  const command = await page.locator('[data-testid=command]').first().innerText();
  assert.is(command, 'rnx run --runtime=tiny-sh python3');
  await page.click('[data-testid=submit]');
  await page.waitForURL(/#\/default\/jobs\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  // The python3 that ran is the runtime's: the host has none that prints this.
  await waitInPage(page, 'the output', "document.querySelector('[data-testid=log] .out')?.textContent === 'tiny python of tiny-sh\\n'");
  await waitInPage(page, 'the runtime in the spec', "document.body.innerText.includes('tiny-sh@1.0.0')");
  const job = await rnxJson<{ runtime: string; status: string }>(['status', id]);
  assert.is(job.runtime, 'tiny-sh@1.0.0');
  // The command the form showed does the same from rnx.
  const cli = await exec(RNX, ['--config', d.rnxConfig, 'run', '--wait', ...command.split(' ').slice(2)]);
  assert.is(cli.stdout, 'tiny python of tiny-sh\n');
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test('the runtimes page tests a runtime: its output, and whether it passed', async () => {
  const { page, errors } = await openPage(context);
  await runtimesPage(page);
  await page.click('[data-runtime="tiny-sh"] [data-testid=test]');
  await waitInPage(page, 'the test result', "document.querySelector('[data-testid=test-result]')?.dataset.success === 'yes'");
  assert.is(await page.locator('[data-testid=test-output]').innerText(), 'smoke ok\nruntime tiny-sh\n');
  assert.is(await page.locator('[data-testid=test-verdict]').innerText(), '✓ Runtime test passed');
  // The test ran as an ordinary job, linked from the result.
  const href = await page.locator('[data-testid=test-result] a').getAttribute('href');
  const jobId = href!.split('/').pop()!;
  assert.is((await rnxJson<{ runtime: string; status: string }>(['status', jobId])).status, 'COMPLETED');
  await screenshot(page, 'runtimes-test');

  await page.click('[data-runtime="tiny-broken"] [data-testid=test]');
  await waitInPage(page, 'the failed test', "document.querySelector('[data-testid=test-result]')?.dataset.success === 'no'");
  // Its stdout, then its stderr and how the job ended, as rnx runtime test prints them.
  assert.is(await page.locator('[data-testid=test-output]').innerText(), 'about to fail\nno numpy here\nexited with code 3\n');
  assert.is(await page.locator('[data-testid=test-verdict]').innerText(), '✗ Runtime test failed (exit code 3)');
  const cli = await d.rnx(['runtime', 'test', 'tiny-broken']);
  assert.is(cli.code, 1);
  assert.match(cli.stdout, /^✗ Runtime test failed \(exit code 3\)$/m);
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test('removing a runtime asks first, is refused while a job uses it, then removes it', async () => {
  const sleeper = await d.run(['--runtime=tiny-broken', 'sleep', '300']);
  const { page, errors } = await openPage(context);
  await runtimesPage(page);
  await page.click('[data-runtime="tiny-broken"] [data-testid=remove]');
  assert.ok((await page.locator('dialog[open]').innerText()).includes('rnx runtime remove tiny-broken'));
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the refusal', "!!document.querySelector('dialog[open] [role=alert]')");
  const refused = await page.locator('dialog[open] [role=alert]').innerText();
  const cli = await d.rnx(['runtime', 'remove', 'tiny-broken']);
  assert.is(cli.code, 1);
  assert.is(`rnx: ${refused}\n`, cli.stderr);
  assert.match(refused, /tiny-broken/);
  assert.is(await runtimeStatus('tiny-broken'), 'installed');
  await page.keyboard.press('Escape');
  await waitInPage(page, 'the dialog closed', "!document.querySelector('dialog[open]')");

  await d.rnx(['stop', sleeper]);
  await waitInPage(page, 'no job using it', "!document.querySelector('[data-runtime=\"tiny-broken\"]')?.innerText.includes('job')", 30_000);
  await page.click('[data-runtime="tiny-broken"] [data-testid=remove]');
  await page.click('dialog [data-testid=confirm]');
  await waitInPage(page, 'the runtime gone', "!document.querySelector('[data-runtime=\"tiny-broken\"]')");
  assert.is(await runtimeStatus('tiny-broken'), undefined);
  assert.not.ok(fs.existsSync(path.join(d.stateDir, 'runtimes', 'tiny-broken')));
  // The 409 of the refused removal is the only expected console line.
  assert.ok(errors.every((e) => /status of 409/.test(e)), errors.join('\n'));
  await page.close();
});

test('an install streams its progress to the page while the server builds, and ends as rnx reports it', async () => {
  hold();
  const { page, errors } = await openPage(context);
  await runtimesPage(page);
  await page.click('[data-runtime="python-3.11"] [data-testid=install]');
  // Live: the page shows the build's phases while the server is still building.
  await waitInPage(page, 'the resolve phase', `document.querySelector('${panel('python-3.11')} [data-testid=install-phase]')?.textContent.startsWith('[5/9] Resolve packages: refreshing the package lists of file:${ARCHIVE} bookworm')`, 60_000);
  assert.is(await page.locator(panel('python-3.11')).getAttribute('data-state'), 'running');
  assert.is(await runtimeStatus('python-3.11'), 'installing');
  const lines = (await page.locator(`${panel('python-3.11')} [data-testid=install-log]`).innerText()).split('\n');
  assert.equal(lines.slice(0, 5).map((l) => l.replace(/:.*/, '')), ['[1/9] Validate', '[2/9] Detect platform', '[3/9] Check disk space', '[4/9] Prepare build directory', '[5/9] Resolve packages']);
  // Every log line on request, as with --verbose: the build's own words so far.
  await page.check(`${panel('python-3.11')} [data-testid=install-verbose]`);
  await waitInPage(page, 'the log lines', `document.querySelector('${panel('python-3.11')} [data-testid=install-log]').innerText.includes('joblet: refreshing the package lists')`);
  await screenshot(page, 'runtimes-install');

  release();
  await waitInPage(page, 'the install failed', `document.querySelector('${panel('python-3.11')}')?.dataset.state === 'failed'`, 60_000);
  const result = await page.locator(`${panel('python-3.11')} [data-testid=install-result]`).innerText();
  assert.match(result, new RegExp(`^cannot read the package lists of file:${ARCHIVE} bookworm \\(exit 100\\): .*does not have a Release file\\.$`));
  assert.match(await page.locator(`${panel('python-3.11')} [data-testid=install-log]`).innerText(), /\[ERROR\] E: The repository .* does not have a Release file\./);
  // The same install from rnx ends with the same message.
  const cli = await d.rnx(['runtime', 'install', 'python-3.11'], { timeoutMs: 120_000 });
  assert.is(cli.code, 1);
  assert.is(cli.stderr, `rnx: ${result}\n`);
  await waitInPage(page, 'the row available again', "!!document.querySelector('[data-runtime=\"python-3.11\"][data-status=available]')");
  assert.is(await page.locator(`${panel('python-3.11')} [data-testid=cancel-install]`).count(), 0);
  // A page opened later still shows how it ended.
  const { page: later } = await openPage(context);
  await runtimesPage(later);
  await waitInPage(later, 'the finished install', `document.querySelector('${panel('python-3.11')}')?.dataset.state === 'failed'`);
  await later.close();
  assert.ok(errors.length === 0, errors.join('\n'));
  await page.close();
});

test('an install is cancelled from the page, and the server drops the build', async () => {
  hold();
  const { page, errors } = await openPage(context);
  await runtimesPage(page);
  // Panels of earlier installs go away with Dismiss.
  for (const b of await page.locator('[data-testid=dismiss-install]').all()) await b.click();
  await page.click('[data-runtime="nodejs-18"] [data-testid=install]');
  await waitInPage(page, 'the resolve phase', `document.querySelector('${panel('nodejs-18')} [data-testid=install-phase]')?.textContent.startsWith('[5/9] Resolve packages')`, 60_000);
  // A second install of the same runtime is refused with the server's message, as rnx prints it.
  const twice = await d.rnx(['runtime', 'install', 'nodejs-18']);
  assert.is(twice.code, 1);
  assert.match(twice.stderr, /^rnx: runtime nodejs-18 is already being installed/);
  await page.click(`${panel('nodejs-18')} [data-testid=cancel-install]`);
  await waitInPage(page, 'the install cancelled', `document.querySelector('${panel('nodejs-18')}')?.dataset.state === 'cancelled'`, 60_000);
  assert.is(await page.locator(`${panel('nodejs-18')} [data-testid=install-result]`).innerText(), 'the install of nodejs-18 was cancelled; the server stops the build and removes what it staged');
  // The server stopped the build: the runtime is available again and nothing is left staged.
  const until = Date.now() + 60_000;
  while ((await runtimeStatus('nodejs-18')) !== 'available' && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  assert.is(await runtimeStatus('nodejs-18'), 'available');
  const staged = path.join(d.stateDir, 'runtimes', '.build');
  assert.equal(fs.existsSync(staged) ? fs.readdirSync(staged) : [], []);
  release();
  assert.equal(errors, [], errors.join('\n'));
  await page.close();
});

test('a viewer node lists runtimes with no action, and the console refuses every change', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, errors } = await openPage(ctx);
  await page.goto(viewer.url);
  await page.waitForURL(/#\/viewer\/jobs$/);
  await runtimesPage(page, viewer.origin, 'viewer');
  assert.is(await page.locator('[data-testid=install], [data-testid=test], [data-testid=remove], [data-testid=reinstall], [data-testid=cancel-install]').count(), 0);
  await page.goto(`${viewer.origin}/#/viewer/run`);
  await waitInPage(page, 'the refusal', "document.querySelector('[role=alert]')?.textContent.includes('read-only')");
  assert.equal(errors, [], errors.join('\n'));
  // The page's own fetch, with a valid CSRF token: the console refuses each change itself.
  await assertReadOnlyRefuses(page, 'viewer', [
    ['POST', '/api/n/viewer/runtimes/python-3.11/install', { force: false }],
    ['POST', '/api/n/viewer/runtimes/tiny-sh/test'],
    ['DELETE', '/api/n/viewer/runtimes/tiny-sh'],
    ['POST', '/api/n/viewer/runtime-installs/00000000-0000-4000-8000-000000000000/cancel'],
  ]);
  assert.is(await runtimeStatus('tiny-sh'), 'installed');
  assert.is(await runtimeStatus('python-3.11'), 'available');
  await ctx.close();
});

test('a runtime removed after the form was loaded is refused as rnx run --runtime refuses it', async () => {
  const { page } = await openPage(context);
  await page.goto(`${admin.origin}/#/default/run`);
  await waitInPage(page, 'the runtimes in the form', "[...document.querySelectorAll('select[name=runtime] option')].some((o) => o.value === 'tiny-sh')");
  await page.fill('input[name=command]', 'python3');
  await page.selectOption('select[name=runtime]', 'tiny-sh');
  const before = (await rnxJson<unknown[]>(['list'])).length;
  const removed = await d.rnx(['runtime', 'remove', 'tiny-sh']);
  assert.is(removed.code, 0, removed.stderr);
  await page.click('[data-testid=submit]');
  await waitInPage(page, 'the refusal', "!!document.querySelector('[role=alert]')");
  const shown = await page.locator('[role=alert]').innerText();
  const cli = await d.rnx(['run', '--runtime=tiny-sh', 'python3']);
  assert.is(cli.code, 1);
  assert.is(`rnx: ${shown}\n`, cli.stderr);
  assert.match(shown, /^runtime 'tiny-sh' is not installed and is not a built-in runtime \(no runtimes are installed\); /);
  assert.match(page.url(), /#\/default\/run$/);
  assert.is((await rnxJson<unknown[]>(['list'])).length, before, 'no job was created');
  await page.close();
});

test.run();
