/**
 * Authentication and authorization against a real daemon: the whole RPC × role matrix, foreign,
 * expired, role-less and missing certificates (over gRPC and as rnx reports them), forged identity
 * metadata, oversized messages, NUL bytes and hostile upload paths, and aggressive keepalive pings.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import * as x509 from '@peculiar/x509';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateCa, issueClientCert, issueServerCert, type CertAndKey } from '../../src/shared/certs';
import { METHOD_ACCESS } from '../../src/daemon/middleware/auth';
import { RNX, TestDaemon, exec } from '../helpers/daemon';
import { Status, allRpcs, callRpc, nodePems, openChannel, show, writeClientConfig, type Pems, type Rpc } from '../helpers/grpc';
import { createClient, type Channel } from 'nice-grpc';
import { JobServiceDefinition } from '../../src/gen/joblet';

const DAY_MS = 24 * 3600 * 1000;
const MAX_MESSAGE = 1024 * 1024;

/** Daemon made by `joblet init` (its CA key is gone), with a 1 MiB message limit. */
let d: TestDaemon;
/** Daemon whose certificates this test made, so it can issue odd client certificates. */
let c: TestDaemon;
let pki: Record<'ca' | 'admin' | 'viewer' | 'operator' | 'noRole' | 'twoRoles' | 'expired' | 'foreignCa' | 'foreignAdmin', CertAndKey>;
const channels: Channel[] = [];

function rpc(name: string): Rpc {
  const r = allRpcs().find((x) => x.name === name);
  if (!r) throw new Error(`no RPC ${name}`);
  return r;
}

/** A channel to `daemon`, closed after the run. */
function channel(daemon: TestDaemon, pems: Pems, options: Record<string, unknown> = {}): Channel {
  const ch = openChannel(`127.0.0.1:${daemon.port}`, pems, options);
  channels.push(ch);
  return ch;
}

const initNode = (node: 'default' | 'viewer') => channel(d, nodePems(d.rnxConfig, node));
const custom = (who: CertAndKey, ca = pki.ca) => channel(c, { ca: ca.cert, cert: who.cert, key: who.key });

/** A client certificate with an arbitrary subject, signed by `ca` (certs.ts only makes one-role ones). */
async function issueWithSubject(ca: CertAndKey, subject: x509.JsonName): Promise<CertAndKey> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as crypto.webcrypto.CryptoKeyPair;
  const caKey = await crypto.webcrypto.subtle.importKey('pkcs8', crypto.createPrivateKey(ca.key).export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: crypto.randomBytes(8).toString('hex').replace(/^./, '1'),
    subject,
    issuer: new x509.X509Certificate(ca.cert).subjectName,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + DAY_MS),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const key = x509.PemConverter.encode(await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key };
}

/** Commands of every job the daemon knows, via an admin channel. */
async function jobCommands(daemon: TestDaemon, admin: Pems): Promise<string[]> {
  const jobs = await createClient(JobServiceDefinition, channel(daemon, admin)).listJobs({});
  return jobs.jobs.map((j) => [j.command, ...j.args].join(' '));
}

/** Poll `cond` until it holds; fail with `what` after `ms`. */
async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.unreachable(what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every path under `dir`. */
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => path.join(dir, p));
}

test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/maxMessageBytes: \d+/, `maxMessageBytes: ${MAX_MESSAGE}`) });
  const ca = await generateCa();
  const foreignCa = await generateCa();
  pki = {
    ca,
    admin: await issueClientCert(ca, 'admin'),
    viewer: await issueClientCert(ca, 'viewer'),
    operator: await issueClientCert(ca, 'operator'),
    noRole: await issueWithSubject(ca, [{ O: ['Joblet'] }, { CN: ['no-role-client'] }]),
    twoRoles: await issueWithSubject(ca, [{ O: ['Joblet'] }, { OU: ['viewer'] }, { OU: ['admin'] }, { CN: ['two-role-client'] }]),
    expired: await issueClientCert(ca, 'admin', { notBefore: new Date(Date.now() - 3 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }),
    foreignCa,
    foreignAdmin: await issueClientCert(foreignCa, 'admin'),
  };
  const server = await issueServerCert(ca);
  c = await TestDaemon.start({
    configEdit: (y) => {
      const cfg = yaml.load(y) as Record<string, unknown>;
      cfg.security = { caCert: ca.cert, serverCert: server.cert, serverKey: server.key };
      return yaml.dump(cfg);
    },
  });
});

test.after(async () => {
  for (const ch of channels) ch.close();
  await d?.destroy();
  await c?.destroy();
});

test('METHOD_ACCESS lists exactly the RPCs of the generated services; reads are Get/List/Stream/Validate', () => {
  const names = allRpcs().map((r) => r.name);
  assert.is(new Set(names).size, names.length, 'RPC names are unique across services');
  assert.equal(Object.keys(METHOD_ACCESS).sort(), [...names].sort());
  // An independent statement of the policy: only these verbs read; anything new defaults to write.
  for (const n of names) assert.is(METHOD_ACCESS[n], /^(Get|List|Stream|Validate)/.test(n) ? 'read' : 'write', n);
});

test('viewer: every write RPC is PERMISSION_DENIED naming role and method; no read RPC is refused by auth', async () => {
  const viewer = initNode('viewer');
  let writes = 0;
  for (const r of allRpcs()) {
    const o = await callRpc(viewer, r);
    if (METHOD_ACCESS[r.name] === 'write') {
      writes++;
      assert.is(o.code, Status.PERMISSION_DENIED, `${r.name}: ${show(o)}`);
      assert.match(o.details, `role 'viewer' may not call ${r.name}`);
    } else {
      assert.not.ok([Status.PERMISSION_DENIED, Status.UNAUTHENTICATED].includes(o.code), `${r.name}: ${show(o)}`);
    }
  }
  assert.ok(writes >= 10, `${writes} write RPCs`);
});

test('admin: no RPC is refused by auth', async () => {
  const admin = initNode('default');
  for (const r of allRpcs()) {
    const o = await callRpc(admin, r);
    assert.not.ok([Status.PERMISSION_DENIED, Status.UNAUTHENTICATED].includes(o.code), `${r.name}: ${show(o)}`);
  }
});

test("a certificate with OU 'operator' from the server's CA is refused for every RPC", async () => {
  const op = custom(pki.operator);
  for (const r of allRpcs()) {
    const o = await callRpc(op, r);
    assert.is(o.code, Status.PERMISSION_DENIED, `${r.name}: ${show(o)}`);
    assert.match(o.details, `role 'operator' is not allowed to call ${r.name}`);
  }
  // The custom daemon itself works: its admin and viewer are served.
  assert.is((await callRpc(custom(pki.admin), rpc('ListJobs'))).code, Status.OK);
  assert.is((await callRpc(custom(pki.viewer), rpc('ListJobs'))).code, Status.OK);
});

test('a certificate without an OU, or with two, has no role: refused, and a forged role header does not help', async () => {
  for (const who of [pki.noRole, pki.twoRoles]) {
    const ch = custom(who);
    for (const name of ['ListJobs', 'RunJob']) {
      const o = await callRpc(ch, rpc(name), { request: { command: 'true' }, metadata: { 'x-joblet-verified-role': 'admin', 'x-joblet-verified-name': 'admin-client' } });
      assert.is(o.code, Status.PERMISSION_DENIED, `${name}: ${show(o)}`);
      assert.match(o.details, /carries no role/);
    }
  }
  assert.not.ok((await jobCommands(c, { ca: pki.ca.cert, ...pki.admin })).includes('true'));
});

test('names and roles outside printable ASCII neither crash the daemon nor pass as a role', async () => {
  const accented = custom(await issueWithSubject(pki.ca, [{ O: ['Joblet'] }, { OU: ['admin'] }, { CN: ['josé-client'] }]));
  const ok = await callRpc(accented, rpc('RunJob'), { request: { command: 'true' } });
  assert.is(ok.code, Status.OK, show(ok));
  assert.is((ok.response as { job: { detail: { owner: string } } }).job.detail.owner, 'jos?-client');
  const lookalike = custom(await issueWithSubject(pki.ca, [{ O: ['Joblet'] }, { OU: ['\u0430dmin'] }, { CN: ['lookalike'] }]));
  const o = await callRpc(lookalike, rpc('ListJobs'));
  assert.is(o.code, Status.PERMISSION_DENIED, show(o));
  assert.match(o.details, "role '?dmin' is not allowed");
  assert.is((await callRpc(custom(pki.admin), rpc('ListJobs'))).code, Status.OK, 'the daemon still serves');
});

test('a viewer sending x-joblet-verified-role: admin still cannot write', async () => {
  const viewer = initNode('viewer');
  const forged = { 'x-joblet-verified-role': 'admin', 'x-joblet-verified-name': 'admin-client' };
  const o = await callRpc(viewer, rpc('RunJob'), { request: { command: 'echo', args: ['forged-marker'] }, metadata: forged });
  assert.is(o.code, Status.PERMISSION_DENIED, show(o));
  assert.match(o.details, "role 'viewer' may not call RunJob");
  const del = await callRpc(viewer, rpc('DeleteAllJobs'), { metadata: forged });
  assert.is(del.code, Status.PERMISSION_DENIED, show(del));
  assert.not.ok((await jobCommands(d, nodePems(d.rnxConfig, 'default'))).includes('echo forged-marker'));
});

test('no client certificate, one from another CA, or an expired one: the connection is refused and nothing runs', async () => {
  // The TLS alert races grpc-js's connection set-up, so its message varies ("certificate required",
  // "certificate expired", or just "Failed to connect"): the status is what is stable.
  const cases: [string, Pems][] = [
    ['no certificate', { ca: pki.ca.cert }],
    ['another CA', { ca: pki.ca.cert, ...pki.foreignAdmin }],
    ['expired', { ca: pki.ca.cert, ...pki.expired }],
  ];
  for (const [what, pems] of cases) {
    const ch = channel(c, pems);
    const o = await callRpc(ch, rpc('RunJob'), { request: { command: 'echo', args: [`refused-${what}`] } });
    assert.is(o.code, Status.UNAVAILABLE, `${what}: ${show(o)}`);
    const list = await callRpc(ch, rpc('ListJobs'));
    assert.is(list.code, Status.UNAVAILABLE, `${what} ListJobs: ${show(list)}`);
  }
  // The daemon is up and serving: the refusals were about the certificates.
  const ran = await jobCommands(c, { ca: pki.ca.cert, ...pki.admin });
  assert.is(ran.filter((j) => j.startsWith('echo refused-')).length, 0, ran.join(', '));
});

test('rnx says in one line why it cannot connect: exit 1, or 2 when the config lacks a certificate', async () => {
  const addr = `127.0.0.1:${c.port}`;
  const cfg = path.join(c.dir, 'crafted-rnx.yml');
  const cases: [string, Partial<Pems>, RegExp, number][] = [
    // Refused before connecting: a configuration problem, hence the CLI's exit code 2.
    ['no certificate', { ca: pki.ca.cert }, /^rnx: node 'default' in \S+ has no cert, key: a client certificate, its key and the server's CA are required/, 2],
    ['another CA', { ca: pki.ca.cert, ...pki.foreignAdmin }, /^rnx: the server refused the connection: our client certificate \(issuer "[^"]*Joblet CA[^"]*"\) is not signed by this node's CA/, 1],
    ['expired', { ca: pki.ca.cert, ...pki.expired }, /^rnx: the server refused the connection: our client certificate expired on \d{4}-\d\d-\d\dT/, 1],
    ['a foreign config', nodePems(d.rnxConfig, 'default'), new RegExp(`^rnx: the server at ${addr} presented a certificate that is not signed by the CA in ${cfg.replace(/[.]/g, '\\.')}`), 1],
  ];
  for (const [what, pems, message, code] of cases) {
    writeClientConfig(cfg, addr, pems);
    for (const args of [['list'], ['run', 'echo', `rnx-refused-${what.replace(/ /g, '-')}`]]) {
      const r = await exec(RNX, ['--config', cfg, ...args], { timeoutMs: 30000 });
      assert.is(r.code, code, `${what} ${args[0]}: ${r.stderr}`);
      assert.is(r.stdout, '', what);
      assert.match(r.stderr, message, what);
      assert.is(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    }
  }
  const ran = await jobCommands(c, { ca: pki.ca.cert, ...pki.admin });
  assert.is(ran.filter((j) => j.startsWith('echo rnx-refused-')).length, 0, ran.join(', '));
});

test('a RunJob larger than server.maxMessageBytes is RESOURCE_EXHAUSTED and the daemon keeps serving', async () => {
  const admin = initNode('default');
  const jobsDir = path.join(d.stateDir, 'run');
  const before = fs.readdirSync(jobsDir);
  const big = await callRpc(admin, rpc('RunJob'), { request: { command: 'echo', args: ['too-big'], uploads: [{ path: 'big.bin', content: Buffer.alloc(MAX_MESSAGE + 1024, 1) }] } });
  assert.is(big.code, Status.RESOURCE_EXHAUSTED, show(big));
  // A streamed upload whose chunk is too large is refused the same way; its prepared workspace goes.
  const chunk = await callRpc(admin, rpc('RunJobStreaming'), {
    stream: [
      { message: { $case: 'request', request: { command: 'echo', args: ['too-big'], uploads: [{ path: 'big.bin', size: MAX_MESSAGE + 1024 }] } } },
      { message: { $case: 'chunk', chunk: { index: 0, data: Buffer.alloc(MAX_MESSAGE + 1024, 1) } } },
    ],
  });
  assert.is(chunk.code, Status.RESOURCE_EXHAUSTED, show(chunk));
  assert.is((await callRpc(admin, rpc('ListJobs'))).code, Status.OK);
  assert.is((await callRpc(initNode('viewer'), rpc('ListJobs'))).code, Status.OK);
  const ok = await callRpc(admin, rpc('RunJob'), { request: { command: 'true', uploads: [{ path: 'small.bin', content: Buffer.alloc(MAX_MESSAGE / 2, 1) }] } });
  assert.is(ok.code, Status.OK, show(ok));
  const okId = (ok.response as { jobUuid: string }).jobUuid;
  assert.not.ok((await jobCommands(d, nodePems(d.rnxConfig, 'default'))).includes('echo too-big'));
  await waitFor(() => fs.readdirSync(jobsDir).filter((e) => !before.includes(e) && e !== okId).length === 0, 'no workspace of a refused job is left');
});

test('NUL bytes in command, args or environment are INVALID_ARGUMENT naming the field', async () => {
  const admin = initNode('default');
  const cases: [object, string][] = [
    [{ command: 'ec\0ho', args: ['nul-marker'] }, 'command contains a NUL byte'],
    [{ command: 'echo', args: ['nul-marker', 'a\0b'] }, 'args[1] contains a NUL byte'],
    [{ command: 'echo', args: ['nul-marker'], environment: { FOO: 'x\0y' } }, 'environment FOO contains a NUL byte'],
  ];
  for (const [request, message] of cases) {
    const o = await callRpc(admin, rpc('RunJob'), { request });
    assert.is(o.code, Status.INVALID_ARGUMENT, show(o));
    assert.match(o.details, message);
  }
  assert.not.ok((await jobCommands(d, nodePems(d.rnxConfig, 'default'))).some((j) => j.includes('nul-marker')));
});

test('hostile upload paths are INVALID_ARGUMENT; nothing is written anywhere and no job is created', async () => {
  const admin = initNode('default');
  const marker = `escape-${process.pid}-${Date.now()}`;
  const absolute = path.join(d.dir, `${marker}-abs`);
  const cases: [string, RegExp][] = [
    [`../../../${marker}`, /contains '\.\.'; uploads cannot leave \/work/],
    [`sub/../../${marker}`, /contains '\.\.'/],
    [absolute, /is absolute; uploads are placed relative to \/work/],
    [`${marker}\0.txt`, /contains a NUL byte/],
    ['', /upload path is empty/],
    [`a//${marker}`, /has an empty or '\.' component/],
  ];
  const jobsDir = path.join(d.stateDir, 'run');
  const before = fs.readdirSync(jobsDir).sort();
  for (const [p, message] of cases) {
    const upload = { path: p, content: Buffer.from('pwned\n'), mode: 0o644 };
    const inline = await callRpc(admin, rpc('RunJob'), { request: { command: 'echo', args: ['upload-marker'], uploads: [{ path: 'ok.txt', content: Buffer.from('fine') }, upload] } });
    assert.is(inline.code, Status.INVALID_ARGUMENT, `${JSON.stringify(p)}: ${show(inline)}`);
    assert.match(inline.details, message);
    const streamed = await callRpc(admin, rpc('RunJobStreaming'), {
      request: { message: { $case: 'request', request: { command: 'echo', args: ['upload-marker'], uploads: [{ ...upload, content: Buffer.alloc(0), size: 6 }] } } },
    });
    assert.is(streamed.code, Status.INVALID_ARGUMENT, `streamed ${JSON.stringify(p)}: ${show(streamed)}`);
    assert.match(streamed.details, message);
  }
  // Finished jobs may have been cleaned up meanwhile; no new directory may appear.
  assert.equal(fs.readdirSync(jobsDir).filter((e) => !before.includes(e)), [], 'no workspace is left behind');
  assert.not.ok(fs.existsSync(absolute));
  const stray = walk(d.dir).filter((p) => p.includes(marker));
  assert.equal(stray, []);
  assert.not.ok((await jobCommands(d, nodePems(d.rnxConfig, 'default'))).some((j) => j.includes('upload-marker')));
});

test('a client pinging every 200 ms without calls is not sent away (no GOAWAY too_many_pings)', async () => {
  const pems = nodePems(d.rnxConfig, 'default');
  const session = http2.connect(`https://127.0.0.1:${d.port}`, { ca: pems.ca, cert: pems.cert, key: pems.key, servername: 'joblet', minVersion: 'TLSv1.3' });
  const events: string[] = [];
  session.on('goaway', (code, _last, data) => events.push(`goaway ${code} ${data?.toString()}`));
  session.on('close', () => events.push('close'));
  session.on('error', (e) => events.push(`error ${e.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    assert.is((await rawCall(session, '/joblet.JobService/ListJobs')).status, '0');
    // Like the Python SDK with keepalive_permit_without_calls=1, only far more often than its 30 s.
    let acked = 0;
    const until = Date.now() + 5000;
    while (Date.now() < until && events.length === 0) {
      await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
      acked++;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(events, [], 'the connection stayed up');
    assert.ok(acked >= 20, `${acked} pings answered`);
    const after = await rawCall(session, '/joblet.JobService/ListJobs');
    assert.is(after.status, '0', after.message);
    assert.equal(events, []);
  } finally {
    session.destroy();
  }
});

/** One unary gRPC call with an empty request on an existing HTTP/2 session; resolves with grpc-status. */
function rawCall(session: http2.ClientHttp2Session, method: string): Promise<{ status?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': method, ':authority': 'joblet', 'content-type': 'application/grpc', te: 'trailers' });
    let status: string | undefined;
    let message: string | undefined;
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => {});
    req.on('end', () => resolve({ status, message }));
    req.on('error', reject);
    req.end(Buffer.from([0, 0, 0, 0, 0])); // uncompressed, zero-length message
  });
}

test.run();
