/**
 * `rnx admin` and a real browser for the console's tests: the console runs as the real rnx binary
 * against a test daemon, and Debian's chromium (never a downloaded one) is driven by
 * playwright-core, with the flags that keep it off the network (this machine's network is closed:
 * without them Chromium keeps trying to reach Google's services).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import * as assert from 'uvu/assert';
import { ROOT, RNX, type TestDaemon } from './daemon';

/** Debian's chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots of the console go (git-ignored; CI keeps it as an artifact). */
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts', 'console');

/** A running `rnx admin`. */
export interface ConsoleProcess {
  proc: ChildProcess;
  /** The URL it printed (with ?token= when it needs one). */
  url: string;
  /** http://127.0.0.1:<port> (reachable from this machine whatever --bind says). */
  origin: string;
  /** The JSON line it printed. */
  info: { status: string; url: string; bindAddress: string; port: number; node: string; readOnly: boolean; browserOpened: boolean };
  output(): string;
  stop(): Promise<void>;
}

/** Start `rnx admin --port 0 --json` against `d` with extra arguments; resolves once it listens. */
export async function startConsole(d: TestDaemon, args: string[] = []): Promise<ConsoleProcess> {
  const proc = spawn(RNX, ['--config', d.rnxConfig, 'admin', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const info = await new Promise<ConsoleProcess['info']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rnx admin did not start in 20 s:\n${out}`)), 20_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rnx admin exited with ${code}:\n${out}`));
    });
  });
  return {
    proc,
    url: info.url,
    origin: `http://127.0.0.1:${info.port}`,
    info,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Launch chromium headless with a fresh profile that playwright removes again on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records console errors, failed requests' messages and uncaught exceptions. */
export async function openPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  return { page, errors };
}

/** Save a screenshot of the whole page as tests/artifacts/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Wait until the expression `fn`, evaluated in the page, is truthy; fails with `what` after
 * `timeoutMs`. Polled from here: page.waitForFunction compiles its predicate inside the page,
 * which the console's Content-Security-Policy (no eval) rightly forbids.
 */
export async function waitInPage(page: Page, what: string, fn: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(fn).catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the page shows:\n${(await page.locator('body').innerText()).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A change the console's API offers: method, path, JSON body. */
export type ApiCall = [method: string, url: string, body?: unknown];

/**
 * Send each call with the page's own fetch and a valid CSRF token (what a tampered page could do)
 * and assert the console refuses every one itself: 403 with the read-only message for `node`.
 */
export async function assertReadOnlyRefuses(page: Page, node: string, calls: ApiCall[]): Promise<void> {
  const answers = (await page.evaluate(`(async (calls) => {
    const s = await (await fetch('/api/session')).json();
    const h = { 'X-Joblet-CSRF': s.csrf, 'Content-Type': 'application/json' };
    const out = [];
    for (const [m, u, b] of calls) {
      const r = await fetch(u, { method: m, headers: h, body: b ? JSON.stringify(b) : undefined });
      out.push([r.status, (await r.json()).error.message]);
    }
    return out;
  })(${JSON.stringify(calls)})`)) as [number, string][];
  assert.is(answers.length, calls.length);
  for (const [status, message] of answers) {
    assert.is(status, 403);
    assert.is(message, `node '${node}' uses a viewer certificate: the console is read-only for it; choose a node with an admin certificate`);
  }
}
