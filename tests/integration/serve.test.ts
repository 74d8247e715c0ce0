/** joblet serve and init: bad configuration is refused with one clear line and exit code 2. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, JOBLET, RNX } from '../helpers/daemon';

let dir: string;
test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-serve-'));
  const r = await exec(JOBLET, ['init', '--dir', dir, '--address', '127.0.0.1:1', '--state-dir', path.join(dir, 'state')]);
  assert.is(r.code, 0, r.stderr);
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function serveWith(edit: (y: string) => string): Promise<{ code: number; stderr: string }> {
  const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.yml`);
  fs.writeFileSync(file, edit(fs.readFileSync(path.join(dir, 'joblet-config.yml'), 'utf8')), { mode: 0o600 });
  const r = await exec(JOBLET, ['serve', '--config', file], { timeoutMs: 20000 });
  return r;
}

test('a misspelt key stops start-up naming the key, exit 2', async () => {
  const r = await serveWith((y) => y.replace('stopGraceSeconds:', 'stopGraceSecs:'));
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /jobs\.stopGraceSecs: unknown key/);
});

test('a bad value stops start-up naming the key and what is allowed, exit 2', async () => {
  const r = await serveWith((y) => y.replace(/address: .*/, 'address: "localhost:99999"'));
  assert.is(r.code, 2);
  assert.match(r.stderr, /server\.address: must be HOST:PORT with a port 1-65535/);
  const uid = await serveWith((y) => y.replace(/uid: \d+/, 'uid: 0'));
  assert.is(uid.code, 2);
  assert.match(uid.stderr, /jobs\.uid/);
});

test('a missing config file says where it looked and how to make one', async () => {
  const r = await exec(JOBLET, ['serve', '--config', path.join(dir, 'nope.yml')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /nope\.yml/);
  const r2 = await exec(JOBLET, ['serve'], { env: { JOBLET_CONFIG_PATH: path.join(dir, 'missing.yml') } });
  assert.is(r2.code, 2);
});

test('init refuses to overwrite without --force', async () => {
  const r = await exec(JOBLET, ['init', '--dir', dir]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /--force/);
  assert.is((fs.statSync(path.join(dir, 'rnx-config.yml')).mode & 0o777).toString(8), '600');
});

test('rnx with no config anywhere says how to get one', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-home-'));
  const r = await exec(RNX, ['--config', path.join(home, 'none.yml'), 'list']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^rnx: .*none\.yml/);
  fs.rmSync(home, { recursive: true });
});

test('rnx against a daemon that is not running says so', async () => {
  const r = await exec(RNX, ['--config', path.join(dir, 'rnx-config.yml'), 'list'], { timeoutMs: 30000 });
  assert.is(r.code, 1);
  assert.match(r.stderr, /connection refused — is the daemon running/);
});

test('rnx --version and joblet --version print the version', async () => {
  // rnx --version needs no server and no config.
  const rnx = await exec(RNX, ['--version'], { env: { RNX_CONFIG: path.join(dir, 'none.yml') } });
  assert.match(rnx.stdout, /^Client: rnx \d+\.\d+\.\d+/);
  assert.is(rnx.code, 0, rnx.stderr);
  // rnx version asks the server: without a config it prints its own version and says why (exit 1).
  const full = await exec(RNX, ['version'], { env: { RNX_CONFIG: path.join(dir, 'none.yml') } });
  assert.match(full.stdout, /^Client: rnx \d+\.\d+\.\d+/);
  assert.is(full.code, 1);
  assert.match(full.stderr, /^rnx: server version unknown: config file .*none\.yml \(from \$RNX_CONFIG\) does not exist/);
  assert.match((await exec(RNX, ['--version', '--client'])).stdout, /^Client: rnx \d+\.\d+\.\d+/);
  assert.match((await exec(JOBLET, ['--version'])).stdout, /^joblet \d+\.\d+\.\d+/);
});

test.run();
