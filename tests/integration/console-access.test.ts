/**
 * Who may use the web console, in a real browser against a real daemon: a viewer node's console
 * offers no action and refuses every change (nothing changes on the server); a console bound
 * beyond loopback refuses everyone without its token, moves the token from the URL into an
 * HttpOnly cookie, and then works; mutations without the CSRF token or from another origin are
 * refused; a loopback console refuses other host names.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as os from 'node:os';
import type { Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertReadOnlyRefuses, launchChromium, openPage, screenshot, startConsole, waitInPage, type ConsoleProcess } from '../helpers/console';
import { RNX, TestDaemon, exec } from '../helpers/daemon';

let d: TestDaemon;
let browser: Browser;
const consoles: ConsoleProcess[] = [];

test.before(async () => {
  d = await TestDaemon.start();
  browser = await launchChromium();
});

test.after(async () => {
  await browser?.close();
  for (const c of consoles) await c.stop();
  await d?.destroy();
});

async function console_(args: string[] = []): Promise<ConsoleProcess> {
  const c = await startConsole(d, args);
  consoles.push(c);
  return c;
}

/** One HTTP request to the console from here (not a browser): status, headers, body. */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('a viewer node: no actions on any page, and every change refused by the console', async () => {
  const sleeper = await d.run(['sleep', '300']);
  const later = await d.run(['--schedule=1h', 'echo', 'later']);
  const made = await d.rnx(['run', '--cron=@every 1h', '--name=viewer-sees', 'echo', 'tick']);
  assert.is(made.code, 0, made.stderr);
  const viewer = await console_(['--node', 'viewer']);
  assert.is(viewer.info.readOnly, true);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, errors } = await openPage(ctx);
  await page.goto(viewer.url);
  await waitInPage(page, 'the jobs list', `document.querySelector('[data-job="${sleeper}"]')`);
  assert.match(await page.locator('[data-testid=readonly]').innerText(), /Read-only: node 'viewer' uses a viewer certificate/);
  await screenshot(page, 'viewer-jobs');
  // Nothing to click that would change anything.
  await waitInPage(page, 'the scheduled job', `document.querySelector('[data-job="${later}"] .badge')?.textContent === 'SCHEDULED'`);
  assert.is(await page.locator('[data-testid=stop], [data-testid=cancel], [data-testid=delete], [data-testid=delete-finished]').count(), 0);
  assert.not.ok((await page.locator('nav').innerText()).includes('Run a job'));
  await page.goto(`${viewer.origin}/#/viewer/jobs/${sleeper}`);
  await waitInPage(page, 'the job page', "document.querySelector('h1 .badge')?.textContent === 'RUNNING'");
  assert.is(await page.locator('[data-testid=stop]').count(), 0);
  await page.goto(`${viewer.origin}/#/viewer/jobs/${later}`);
  await waitInPage(page, 'the scheduled job page', "document.querySelector('h1 .badge')?.textContent === 'SCHEDULED'");
  assert.is(await page.locator('[data-testid=cancel]').count(), 0);
  await page.goto(`${viewer.origin}/#/viewer/schedules`);
  await waitInPage(page, 'the schedule', "!!document.querySelector('[data-schedule=viewer-sees]')");
  assert.is(await page.locator('[data-testid=pause], [data-testid=resume], [data-testid=remove], a.btn.primary').count(), 0);
  await page.goto(`${viewer.origin}/#/viewer/workflows`);
  await waitInPage(page, 'the workflows page', "!document.body.innerText.includes('Loading')");
  assert.is(await page.locator('[data-testid=run-workflow]').count(), 0);
  for (const p of ['volumes', 'networks']) {
    await page.goto(`${viewer.origin}/#/viewer/${p}`);
    await waitInPage(page, `the ${p} page`, `!document.body.innerText.includes('Loading')`);
    assert.is(await page.locator('form, [data-testid=remove]').count(), 0, p);
  }
  await page.goto(`${viewer.origin}/#/viewer/run`);
  await waitInPage(page, 'the refusal', "document.querySelector('[role=alert]')?.textContent.includes('read-only')");
  assert.is(await page.locator('[data-testid=run-form]').count(), 0);
  assert.equal(errors, [], errors.join('\n'));

  // The page's own fetch, with a valid CSRF token: the console refuses each change itself.
  await assertReadOnlyRefuses(page, 'viewer', [
    ['POST', '/api/n/viewer/jobs', { command: 'touch', args: ['/work/x'], env: [], workdir: '', limits: {}, network: '', volumes: [], uploadSources: [] }],
    ['POST', `/api/n/viewer/jobs/${sleeper}/stop`],
    ['DELETE', `/api/n/viewer/jobs/${sleeper}`],
    ['POST', '/api/n/viewer/volumes', { name: 'v', size: '16MB', type: 'memory' }],
    ['POST', '/api/n/viewer/networks', { name: 'n', cidr: '10.99.0.0/24' }],
    ['POST', `/api/n/viewer/jobs/${later}/cancel`],
    ['POST', '/api/n/viewer/schedules/viewer-sees/pause'],
    ['DELETE', '/api/n/viewer/schedules/viewer-sees'],
    ['POST', '/api/n/viewer/workflows', { file: 'w.yaml', yaml: 'jobs: {a: {command: echo}}' }],
  ]);
  // Nothing changed on the server.
  const status = JSON.parse((await d.rnx(['--json', 'status', sleeper])).stdout) as { status: string };
  assert.is(status.status, 'RUNNING');
  assert.is((await d.rnx(['--json', 'list'])).stdout.match(/"id"/g)?.length, 2);
  assert.is((JSON.parse((await d.rnx(['--json', 'status', later])).stdout) as { status: string }).status, 'SCHEDULED');
  const schedules = JSON.parse((await d.rnx(['--json', 'schedule', 'list'])).stdout) as { name: string; paused: boolean }[];
  assert.equal(schedules.map((x) => [x.name, x.paused]), [['viewer-sees', false]]);
  assert.equal(JSON.parse((await d.rnx(['--json', 'workflow', 'list'])).stdout), []);
  assert.equal(JSON.parse((await d.rnx(['--json', 'volume', 'list'])).stdout), []);
  await d.rnx(['stop', sleeper]);
  await d.rnx(['cancel', later]);
  await d.rnx(['schedule', 'remove', 'viewer-sees']);
  await ctx.close();
});

test('the node list says which nodes are read-only, and the server refuses a viewer anyway', async () => {
  const admin = await console_();
  const s = JSON.parse((await request(`${admin.origin}/api/session`)).body) as { nodes: { name: string; readOnly: boolean; role: string }[] };
  assert.equal(s.nodes.map((n) => [n.name, n.role, n.readOnly]), [['default', 'admin', false], ['viewer', 'viewer', true]]);
  // Past the console's own check (the connection pool it uses, called directly): the daemon refuses.
  const { NodePool } = await import('../../src/cli/node-pool');
  const pool = new NodePool(d.rnxConfig);
  try {
    await pool.call('viewer', (c) => c.volumes.createVolume({ name: 'sneaky', size: '16MB', type: 'memory' })).then(
      () => assert.unreachable('the server accepted a viewer'),
      (err: Error) => assert.is(err.message, "role 'viewer' may not call CreateVolume: it is read-only; use an admin certificate"),
    );
  } finally {
    pool.close();
  }
  assert.equal(JSON.parse((await d.rnx(['--json', 'volume', 'list'])).stdout), []);
});

test('bound beyond loopback: refused without the token, which becomes an HttpOnly cookie', async () => {
  const open = await console_(['--bind', '0.0.0.0']);
  assert.match(open.info.url, /^http:\/\/0\.0\.0\.0:\d+\/\?token=[A-Za-z0-9_-]{40,}$/);
  const token = new URL(open.info.url).searchParams.get('token')!;
  // Without the token: nothing, neither the page nor the API.
  for (const p of ['/', '/app.js', '/api/session', '/api/n/default/jobs']) {
    const r = await request(`${open.origin}${p}`);
    assert.is(r.status, 401, p);
    assert.not.ok(r.body.includes('csrf'), p);
  }
  assert.is((await request(`${open.origin}/?token=wrong-token-of-some-length`)).status, 401);
  const ctx = await browser.newContext();
  const { page } = await openPage(ctx);
  const refused = await page.goto(`${open.origin}/`);
  assert.is(refused!.status(), 401);
  assert.match(await page.locator('body').innerText(), /needs its access token/);
  await screenshot(page, 'token-refused');
  // With it: sent on to the console without the token in the address, a cookie kept.
  await page.goto(`${open.origin}/?token=${token}`);
  await waitInPage(page, 'the console', "document.querySelector('[data-testid=node-select]') && location.hash === '#/default/jobs'");
  assert.not.ok(page.url().includes('token'));
  const cookies = await ctx.cookies();
  assert.is(cookies.length, 1);
  assert.ok(cookies[0]!.httpOnly, 'the session cookie is HttpOnly');
  assert.is(cookies[0]!.sameSite, 'Strict');
  assert.not.ok(cookies[0]!.value.includes(token));
  // A later visit without the token works on the cookie alone.
  await page.goto(`${open.origin}/#/default/volumes`);
  await waitInPage(page, 'the volumes page', "document.querySelector('[data-testid=create-volume]')");
  // The token also works as a bearer token for scripts.
  assert.is((await request(`${open.origin}/api/session`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  await ctx.close();

  // A token of one's own: short ones are refused; without --json the URL is printed once.
  const short = await exec(RNX, ['--config', d.rnxConfig, 'admin', '--bind', '0.0.0.0', '--port', '0', '--token', 'short']);
  assert.is(short.code, 1);
  assert.match(short.stderr, /^rnx: --token must be at least 16 characters/);
  // Waited for by its output, not by a fixed time: starting the binary takes a while on a loaded machine.
  const wanted = new RegExp(`http://${os.hostname()}:\\d+/\\?token=\\S+\\n\\s+The access token is in this URL and is shown only now`);
  const proc = spawn(RNX, ['--config', d.rnxConfig, 'admin', '--bind', '0.0.0.0', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let human = '';
  const exited = new Promise((r) => proc.once('exit', r));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    const onData = (b: Buffer) => {
      human += b.toString();
      if (wanted.test(human)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  proc.kill('SIGTERM');
  await exited;
  assert.match(human, wanted);
});

test('mutations need the CSRF token and the console origin; loopback refuses other host names', async () => {
  const admin = await console_();
  const body = JSON.stringify({ name: 'csrfvol', size: '16MB', type: 'memory' });
  const json = { 'Content-Type': 'application/json' };
  const noToken = await request(`${admin.origin}/api/n/default/volumes`, { method: 'POST', headers: json, body });
  assert.is(noToken.status, 403);
  assert.match(noToken.body, /CSRF/);
  const csrf = (JSON.parse((await request(`${admin.origin}/api/session`)).body) as { csrf: string }).csrf;
  const foreign = await request(`${admin.origin}/api/n/default/volumes`, { method: 'POST', headers: { ...json, 'X-Joblet-CSRF': csrf, Origin: 'http://evil.example' }, body });
  assert.is(foreign.status, 403);
  const form = await request(`${admin.origin}/api/n/default/volumes`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Joblet-CSRF': csrf }, body: 'name=x' });
  assert.is(form.status, 415);
  assert.equal(JSON.parse((await d.rnx(['--json', 'volume', 'list'])).stdout), []);
  // Malformed run requests: one clear line each, and no job.
  const up = { 'Content-Type': 'application/vnd.joblet.run-upload', 'X-Joblet-CSRF': csrf };
  const js = { ...json, 'X-Joblet-CSRF': csrf };
  const frame = (header: string, rest = '') => {
    const h = Buffer.from(header);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(h.length);
    return Buffer.concat([len, h, Buffer.from(rest)]);
  };
  const spec = { command: 'cat', args: ['a'], env: [], workdir: '', limits: {}, network: '', volumes: [], uploadSources: [] };
  const bad: [Record<string, string>, string | Buffer, RegExp][] = [
    [js, '{"command": 3}', /the run request is malformed/],
    [js, 'not json', /not valid JSON/],
    [up, frame('{oops'), /the upload header is not valid JSON/],
    [up, frame(JSON.stringify({ spec, uploads: [{ path: 'a', size: 10, mode: 420, isDirectory: false }] }), 'short'), /the upload body ended early, in the content of a/],
    [up, frame(JSON.stringify({ spec, uploads: [{ path: 'a', size: 1, mode: 420, isDirectory: false }] }), 'xy'), /the upload body is longer than its files/],
    [up, frame(JSON.stringify({ spec, uploads: [{ path: '../escape', size: 1, mode: 420, isDirectory: false }] }), 'x'), /\.\./],
    [up, Buffer.from([0xff, 0xff, 0xff, 0xff]), /the upload header is 4294967295 bytes/],
  ];
  const jobsBefore = (await d.rnx(['--json', 'list'])).stdout;
  for (const [headers, body, message] of bad) {
    const r = await request(`${admin.origin}/api/n/default/jobs`, { method: 'POST', headers, body });
    assert.is(r.status, 400, `${r.body} for ${body.toString().slice(0, 60)}`);
    assert.match((JSON.parse(r.body) as { error: { message: string } }).error.message, message);
  }
  assert.is((await d.rnx(['--json', 'list'])).stdout, jobsBefore);
  // DNS rebinding: a page of another site whose name points here gets nothing.
  const rebound = await request(`${admin.origin}/api/session`, { headers: { Host: `evil.example:${admin.info.port}` } });
  assert.is(rebound.status, 403);
  assert.not.ok(rebound.body.includes('csrf'));
  // Every answer carries the policy and the other guards.
  const page = await request(`${admin.origin}/`);
  assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
  assert.is(page.headers['x-frame-options'], 'DENY');
  assert.is(page.headers['x-content-type-options'], 'nosniff');
  // A bind beyond loopback never starts without a token (the command makes one; the server insists).
  const { startConsole: start } = await import('../../src/console/server');
  await start({ config: d.rnxConfig, bind: '0.0.0.0', port: 0 }).then(
    () => assert.unreachable('started without a token'),
    (err: Error) => assert.match(err.message, /reachable from other machines: an access token is required/),
  );
});

test.run();
