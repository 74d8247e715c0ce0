import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as yaml from 'js-yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runClient } from '../../src/cli/rnx';
import { generateCa, issueClientCert, type CertAndKey } from '../../src/shared/certs';

let tmp: string;
let configPath: string;
let ca: CertAndKey;
let admin: CertAndKey;

test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnx-nodes-'));
  ca = await generateCa();
  admin = await issueClientCert(ca, 'admin');
  configPath = path.join(tmp, 'rnx-config.yml');
  fs.writeFileSync(
    configPath,
    yaml.dump({
      version: '1',
      nodes: {
        viewer: { address: 'joblet.example:50051', ca: ca.cert },
        default: { address: '127.0.0.1:50051', cert: admin.cert, key: admin.key, ca: ca.cert },
        build: { address: '10.0.0.2:6000' },
      },
    }),
  );
});
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run `rnx <argv>` in-process with the given environment. */
async function rnx(argv: string[], env: Record<string, string | undefined> = { HOME: tmp }): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runClient(argv, { stdin: process.stdin, stdout, stderr }, env as NodeJS.ProcessEnv);
  return { code, stdout: out, stderr: err };
}

test('rnx nodes: sorted, default marked, credentials only as present/absent', async () => {
  const r = await rnx(['nodes', '--config', configPath]);
  assert.is(r.code, 0, r.stderr);
  assert.is(
    r.stdout,
    [
      `Nodes in ${configPath}:`,
      '  build',
      '    Address: 10.0.0.2:6000',
      '    Cert:    absent',
      '    Key:     absent',
      '    CA:      absent',
      '* default',
      '    Address: 127.0.0.1:50051',
      '    Cert:    present',
      '    Key:     present',
      '    CA:      present',
      '  viewer',
      '    Address: joblet.example:50051',
      '    Cert:    absent',
      '    Key:     absent',
      '    CA:      present',
      '',
    ].join('\n'),
  );
  assert.not.match(r.stdout, 'BEGIN');
});

test('rnx nodes --json: stable array of booleans', async () => {
  const r = await rnx(['nodes', '--json', '--config', configPath]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), [
    { name: 'build', address: '10.0.0.2:6000', default: false, cert: false, key: false, ca: false },
    { name: 'default', address: '127.0.0.1:50051', default: true, cert: true, key: true, ca: true },
    { name: 'viewer', address: 'joblet.example:50051', default: false, cert: false, key: false, ca: true },
  ]);
});

test('rnx nodes takes the global flags before the command too, and falls back to $RNX_CONFIG', async () => {
  const r = await rnx(['--config', configPath, '--json', 'nodes']);
  assert.is(r.code, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).length, 3);
  const mixed = await rnx([`--config=${configPath}`, 'nodes', '--json']);
  assert.is(JSON.parse(mixed.stdout).length, 3);
  const viaEnv = await rnx(['nodes'], { HOME: tmp, RNX_CONFIG: configPath });
  assert.match(viaEnv.stdout, `Nodes in ${configPath}:`);
});

test('rnx nodes: a broken or missing config is one line on stderr, exit 2', async () => {
  const bad = path.join(tmp, 'bad.yml');
  fs.writeFileSync(bad, 'nodes: {}\n');
  const r = await rnx(['nodes', '--config', bad]);
  assert.is(r.code, 2);
  assert.is(r.stderr, `rnx: ${bad}: nodes: has no nodes; run 'rnx config-help' to see how to get one\n`);
  const missing = await rnx(['nodes', '--config', path.join(tmp, 'nope.yml')]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /^rnx: config file .*nope\.yml \(from --config\) does not exist; run 'rnx config-help'/);
});

test('rnx config-help: format, search order, how to get one', async () => {
  const r = await rnx(['config-help'], { HOME: '/home/someone' });
  assert.is(r.code, 0);
  for (const want of [
    'nodes:',
    'address:',
    'isDefault: true',
    '$RNX_CONFIG (not set)',
    path.join(process.cwd(), 'rnx-config.yml'),
    '/home/someone/.rnx/rnx-config.yml',
    '/etc/joblet/rnx-config.yml',
    '/opt/joblet/config/rnx-config.yml',
    'joblet init',
    '~/.rnx/',
  ]) {
    assert.match(r.stdout, want);
  }
  // The listed order is the search order.
  const order = ['.rnx/rnx-config.yml', '/etc/joblet/rnx-config.yml', '/opt/joblet/config/rnx-config.yml'].map((p) => r.stdout.indexOf(p));
  assert.equal([...order].sort((a, b) => a - b), order);
  const withEnv = await rnx(['config-help'], { HOME: '/h', RNX_CONFIG: '/srv/rnx.yml' });
  assert.match(withEnv.stdout, '/srv/rnx.yml   ($RNX_CONFIG)');
});

test.run();
