import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Cli } from 'clipanion';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InitCommand } from '../../src/cli/admin/init';
import { roleFromCertificate } from '../../src/shared/certs';
import { parseClientConfig } from '../../src/shared/config/client';
import { parseServerConfig } from '../../src/shared/config/server';

let tmp: string;
test.before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-init-'));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run `joblet <argv>` in-process; returns exit code and captured output. */
async function joblet(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = new Cli({ binaryName: 'joblet' });
  cli.register(InitCommand);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await cli.run(argv, { stdin: process.stdin, stdout, stderr, env: process.env, colorDepth: 1, program: 'joblet' } as never);
  return { code, stdout: out, stderr: err };
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
let n = 0;
const freshDir = () => path.join(tmp, `cfg${++n}`, 'nested');

test('writes both configs 0600 in a 0700 dir, even with umask 0; they parse and say what to do next', async () => {
  const dir = freshDir();
  const old = process.umask(0);
  let r;
  try {
    r = await joblet('init', '--dir', dir, '--address', '127.0.0.1:50999', '--state-dir', '/var/lib/jt', '--instance', 'test2');
  } finally {
    process.umask(old);
  }
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
  const serverPath = path.join(dir, 'joblet-config.yml');
  const clientPath = path.join(dir, 'rnx-config.yml');
  assert.equal(fs.readdirSync(dir).sort(), ['joblet-config.yml', 'rnx-config.yml'], 'no temp files left');
  assert.is(mode(serverPath), 0o600);
  assert.is(mode(clientPath), 0o600);
  assert.is(mode(dir), 0o700);
  const s = parseServerConfig(fs.readFileSync(serverPath, 'utf8'), serverPath);
  assert.equal([s.server.address, s.server.stateDir, s.server.instance], ['127.0.0.1:50999', '/var/lib/jt', 'test2']);
  const c = parseClientConfig(fs.readFileSync(clientPath, 'utf8'), clientPath);
  assert.equal(Object.keys(c.nodes).sort(), ['default', 'viewer']);
  assert.is(c.nodes['default']!.address, '127.0.0.1:50999');
  assert.is(roleFromCertificate(c.nodes['default']!.cert!), 'admin');
  assert.is(roleFromCertificate(c.nodes['viewer']!.cert!), 'viewer');
  assert.is(c.nodes['viewer']!.ca, s.security.caCert);
  const caCert = new crypto.X509Certificate(s.security.caCert);
  assert.ok(new crypto.X509Certificate(c.nodes['viewer']!.cert!).checkIssued(caCert));
  assert.ok(new crypto.X509Certificate(s.security.serverCert).checkIssued(caCert));
  assert.match(r.stdout, `Wrote ${serverPath}`);
  assert.match(r.stdout, `Wrote ${clientPath}`);
  assert.match(r.stdout, `joblet serve --config ${serverPath}`);
  assert.match(r.stdout, `RNX_CONFIG=${clientPath} rnx list`);
});

test('the written files work for a real mutual-TLS connection as admin', async () => {
  const dir = freshDir();
  assert.is((await joblet('init', '--dir', dir)).code, 0);
  const s = parseServerConfig(fs.readFileSync(path.join(dir, 'joblet-config.yml'), 'utf8'), 'server');
  const c = parseClientConfig(fs.readFileSync(path.join(dir, 'rnx-config.yml'), 'utf8'), 'client');
  const srv = tls.createServer(
    { cert: s.security.serverCert, key: s.security.serverKey, ca: s.security.caCert, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
    (sock) => sock.end(sock.authorized ? `ok:${roleFromCertificate(sock.getPeerCertificate().raw)}` : `refused:${String(sock.authorizationError)}`),
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const node = c.nodes['default']!;
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = tls.connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, servername: 'joblet', cert: node.cert, key: node.key, ca: node.ca });
      let data = '';
      sock.on('data', (d) => (data += d));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
    });
    assert.is(reply, 'ok:admin');
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

test('wildcard listen addresses give clients 127.0.0.1; a specific host and --host go into the certificate', async () => {
  for (const [address, want] of [
    ['0.0.0.0:50051', '127.0.0.1:50051'],
    ['[::]:6000', '127.0.0.1:6000'],
    ['10.9.8.7:7000', '10.9.8.7:7000'],
  ]) {
    const dir = freshDir();
    const r = await joblet('init', '--dir', dir, '--address', address!, '--host', 'build1.example.org', '--host', '192.0.2.10');
    assert.is(r.code, 0, r.stderr);
    const c = parseClientConfig(fs.readFileSync(path.join(dir, 'rnx-config.yml'), 'utf8'), 'c');
    assert.is(c.nodes['default']!.address, want);
    const s = parseServerConfig(fs.readFileSync(path.join(dir, 'joblet-config.yml'), 'utf8'), 's');
    assert.is(s.server.address, address);
    const sans = new crypto.X509Certificate(s.security.serverCert).subjectAltName ?? '';
    assert.match(sans, 'DNS:build1.example.org');
    assert.match(sans, 'IP Address:192.0.2.10');
    if (address === '10.9.8.7:7000') assert.match(sans, 'IP Address:10.9.8.7');
    else assert.not.match(sans, '0.0.0.0');
  }
});

test('refuses to overwrite without --force, and touches neither file', async () => {
  const dir = freshDir();
  assert.is((await joblet('init', '--dir', dir)).code, 0);
  const serverPath = path.join(dir, 'joblet-config.yml');
  const before = fs.readFileSync(serverPath, 'utf8');
  const r = await joblet('init', '--dir', dir);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^joblet: .*joblet-config\.yml already exists; pass --force to overwrite it/);
  assert.is(fs.readFileSync(serverPath, 'utf8'), before);

  // Only the client file present: still refused, and the server file is not created.
  fs.rmSync(serverPath);
  const r2 = await joblet('init', '--dir', dir);
  assert.is(r2.code, 1);
  assert.match(r2.stderr, `${path.join(dir, 'rnx-config.yml')} already exists; pass --force`);
  assert.not.ok(fs.existsSync(serverPath));
});

test('--force replaces both files with new certificates, still 0600, even over a 0644 file', async () => {
  const dir = freshDir();
  assert.is((await joblet('init', '--dir', dir)).code, 0);
  const clientPath = path.join(dir, 'rnx-config.yml');
  const serverPath = path.join(dir, 'joblet-config.yml');
  const oldCa = parseServerConfig(fs.readFileSync(serverPath, 'utf8'), 's').security.caCert;
  fs.chmodSync(clientPath, 0o644);
  const r = await joblet('init', '--dir', dir, '--force');
  assert.is(r.code, 0, r.stderr);
  const newCa = parseServerConfig(fs.readFileSync(serverPath, 'utf8'), 's').security.caCert;
  assert.is.not(newCa, oldCa);
  assert.is(parseClientConfig(fs.readFileSync(clientPath, 'utf8'), 'c').nodes['default']!.ca, newCa);
  assert.is(mode(clientPath), 0o600);
  assert.is(mode(serverPath), 0o600);
  assert.equal(fs.readdirSync(dir).sort(), ['joblet-config.yml', 'rnx-config.yml']);
});

test('bad flags are refused with the flag named, before anything is written', async () => {
  const cases: [string[], string][] = [
    [['--address', 'localhost:99999'], 'joblet: --address must be HOST:PORT with a port 1-65535 (got "localhost:99999")\n'],
    [['--instance', 'Bad_Name'], 'joblet: --instance must be 1-12 characters of a-z, 0-9 and - (got "Bad_Name")\n'],
    [['--host', 'not a host'], 'joblet: --host must be a DNS name or an IP address (got "not a host")\n'],
    [['--state-dir', 'relative/dir'], 'joblet: --state-dir must be an absolute path (got "relative/dir")\n'],
  ];
  for (const [flags, want] of cases) {
    const dir = freshDir();
    const r = await joblet('init', '--dir', dir, ...flags);
    assert.is(r.code, 1);
    assert.is(r.stderr, want);
    assert.not.ok(fs.existsSync(dir));
  }
});

test.run();
