import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateCa, issueClientCert, issueServerCert, roleFromCertificate, type CertAndKey } from '../../src/shared/certs';
import { InvalidArgumentError } from '../../src/shared/errors';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let ca: CertAndKey;
let otherCa: CertAndKey;
let server: CertAndKey;
let admin: CertAndKey;
let viewer: CertAndKey;
let expired: CertAndKey;
let foreign: CertAndKey;

test.before(async () => {
  ca = await generateCa();
  otherCa = await generateCa();
  server = await issueServerCert(ca, ['10.20.30.40', 'build1.example.org', 'fd00::7']);
  admin = await issueClientCert(ca, 'admin');
  viewer = await issueClientCert(ca, 'viewer');
  expired = await issueClientCert(ca, 'admin', { notBefore: new Date(Date.now() - 2 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  foreign = await issueClientCert(otherCa, 'admin');
});

const x = (pem: string) => new crypto.X509Certificate(pem);

test('CA is self-signed, a CA, CN=Joblet CA O=Joblet, ~10 years, P-256 PKCS#8 key', () => {
  const c = x(ca.cert);
  assert.ok(c.ca);
  assert.ok(c.verify(c.publicKey));
  assert.ok(c.checkIssued(c));
  assert.is(c.subject, 'O=Joblet\nCN=Joblet CA');
  const years = (Date.parse(c.validTo) - Date.parse(c.validFrom)) / YEAR_MS;
  assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`);
  assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----\n/);
  const k = crypto.createPrivateKey(ca.key);
  assert.is(k.asymmetricKeyType, 'ec');
  assert.is(k.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(c.checkPrivateKey(k));
});

test('server certificate chains to the CA, has the SANs and serverAuth, ~2 years', () => {
  const s = x(server.cert);
  assert.ok(s.verify(x(ca.cert).publicKey));
  assert.ok(s.checkIssued(x(ca.cert)));
  assert.not.ok(s.ca);
  assert.is(s.subject, 'O=Joblet\nCN=joblet');
  const sans = (s.subjectAltName ?? '').split(', ');
  for (const want of ['DNS:localhost', 'IP Address:127.0.0.1', 'DNS:joblet', `DNS:${os.hostname().toLowerCase()}`, 'IP Address:10.20.30.40', 'DNS:build1.example.org']) {
    assert.ok(sans.includes(want), `${want} missing from ${s.subjectAltName}`);
  }
  assert.ok(sans.some((n) => /^IP Address:FD00:0:0:0:0:0:0:7$/i.test(n)), `IPv6 SAN missing from ${s.subjectAltName}`);
  assert.equal(s.keyUsage, [SERVER_AUTH]);
  assert.ok(s.checkPrivateKey(crypto.createPrivateKey(server.key)));
  const years = (Date.parse(s.validTo) - Date.parse(s.validFrom)) / YEAR_MS;
  assert.ok(years > 1.9 && years < 2.1, `validity ${years} years`);
});

test('client certificates carry the role in OU and clientAuth', () => {
  const a = x(admin.cert);
  assert.is(a.subject, 'O=Joblet\nOU=admin\nCN=admin-client');
  assert.equal(a.keyUsage, [CLIENT_AUTH]);
  assert.ok(a.checkIssued(x(ca.cert)) && a.verify(x(ca.cert).publicKey));
  assert.is(x(viewer.cert).subject, 'O=Joblet\nOU=viewer\nCN=viewer-client');
  assert.is(roleFromCertificate(admin.cert), 'admin');
  assert.is(roleFromCertificate(viewer.cert), 'viewer');
  // The daemon gets the peer certificate as DER from the TLS socket.
  assert.is(roleFromCertificate(x(viewer.cert).raw), 'viewer');
  assert.is(roleFromCertificate(new Uint8Array(x(admin.cert).raw)), 'admin');
});

test('roleFromCertificate: no OU gives undefined', () => {
  assert.is(roleFromCertificate(server.cert), undefined);
  assert.is(roleFromCertificate(ca.cert), undefined);
});

test('expired certificate is really expired; a foreign CA does not verify', () => {
  const e = x(expired.cert);
  assert.ok(Date.parse(e.validTo) < Date.now());
  assert.ok(e.checkIssued(x(ca.cert)));
  const f = x(foreign.cert);
  assert.not.ok(f.checkIssued(x(ca.cert)));
  assert.not.ok(f.verify(x(ca.cert).publicKey));
  assert.ok(f.verify(x(otherCa.cert).publicKey));
});

test('bad role, bad host and inverted validity are refused', async () => {
  for (const role of ['Admin', 'admin,OU=x', '', 'a'.repeat(40)]) {
    try {
      await issueClientCert(ca, role);
      assert.unreachable(`role ${role} accepted`);
    } catch (err) {
      assert.instance(err, InvalidArgumentError);
    }
  }
  try {
    await issueServerCert(ca, ['bad host!']);
    assert.unreachable('bad host accepted');
  } catch (err) {
    assert.instance(err, InvalidArgumentError);
    assert.match((err as Error).message, "host 'bad host!'");
  }
  try {
    await issueClientCert(ca, 'admin', { notBefore: new Date(), notAfter: new Date(Date.now() - 1000) });
    assert.unreachable('inverted validity accepted');
  } catch (err) {
    assert.instance(err, InvalidArgumentError);
  }
});

/**
 * Handshake over loopback; the server asks for a client certificate and reports, instead of
 * dropping the connection, whether it verified against `ca` (so the test sees the exact reason).
 */
async function handshake(client: CertAndKey, servername = 'joblet'): Promise<{ ok: boolean; reason?: string }> {
  const srv = tls.createServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (s) =>
    s.end(s.authorized ? 'authorized' : `refused:${String(s.authorizationError)}`),
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    return await new Promise((resolve) => {
      const sock = tls.connect({ host: '127.0.0.1', port, servername, cert: client.cert, key: client.key, ca: ca.cert, minVersion: 'TLSv1.3' });
      let data = '';
      sock.on('data', (d) => (data += d));
      sock.on('end', () => resolve(data === 'authorized' ? { ok: true } : { ok: false, reason: data.replace(/^refused:/, '') }));
      sock.on('error', (err) => resolve({ ok: false, reason: err.message }));
    });
  } finally {
    await new Promise((r) => srv.close(r));
  }
}

test('mutual TLS 1.3 works with the issued certificates, and refuses expired or foreign ones', async () => {
  assert.equal(await handshake(admin), { ok: true });
  assert.equal(await handshake(viewer, 'localhost'), { ok: true });
  assert.equal(await handshake(expired), { ok: false, reason: 'CERT_HAS_EXPIRED' });
  const other = await handshake(foreign);
  assert.not.ok(other.ok);
  assert.match(other.reason ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_SIGNATURE_FAILURE/);
  // The client checks the server's name against the SANs.
  const wrongName = await handshake(admin, 'not-in-the-cert.example');
  assert.not.ok(wrongName.ok);
  assert.match(wrongName.reason ?? '', /altnames|hostname/i);
});

test.run();
