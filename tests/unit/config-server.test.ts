import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateCa, issueClientCert, issueServerCert, type CertAndKey } from '../../src/shared/certs';
import { readFirstConfig } from '../../src/shared/config/load';
import { DEFAULT_SERVER_CONFIG_PATH, SERVER_CONFIG_SEARCH, loadServerConfig, parseServerConfig } from '../../src/shared/config/server';
import { ConfigError } from '../../src/shared/errors';

let ca: CertAndKey;
let server: CertAndKey;
let other: CertAndKey;
let tmp: string;

test.before(async () => {
  ca = await generateCa();
  server = await issueServerCert(ca, []);
  other = await issueServerCert(await generateCa(), []);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-cfg-'));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A valid document, with `patch` applied (a key set to undefined is removed). */
function doc(patch: (d: Record<string, any>) => void = () => {}): string {
  const d: Record<string, any> = { version: '1', security: { serverCert: server.cert, serverKey: server.key, caCert: ca.cert } };
  patch(d);
  return yaml.dump(d);
}

/** The ConfigError message for `text`; fails the test if it parses. */
function problem(text: string): string {
  try {
    parseServerConfig(text, 'joblet-config.yml');
  } catch (err) {
    assert.instance(err, ConfigError);
    const msg = (err as Error).message;
    assert.not.match(msg, '\n', 'message must be one line');
    return msg;
  }
  assert.unreachable('config was accepted');
  return '';
}

test('minimal config gets every default', () => {
  const c = parseServerConfig(doc(), 'x.yml');
  assert.equal(c.server, { address: '0.0.0.0:50051', stateDir: '/opt/joblet', instance: 'joblet', logLevel: 'info', maxMessageBytes: 16777216 });
  assert.equal(c.jobs, {
    uid: 65534,
    gid: 65534,
    userName: 'job',
    stopGraceSeconds: 5,
    maxLogBytes: 67108864,
    tmpSizeMB: 64,
    nofile: 1024,
    maxConcurrentJobs: 200,
    uploadIdleSeconds: 60,
    retention: { days: 0, keep: 10000 },
    logHeadBytes: 4194304,
    warmPool: 2,
    warmPoolMaxIdleSeconds: 600,
  });
  assert.equal(c.scheduling, { misfireGraceSeconds: 3600, maxScheduledJobs: 1000, maxSchedules: 1000 });
  assert.is(c.version, '1');
  assert.is(c.security.serverCert, server.cert);
});

test('accepted variants: log level in any case, IPv6 address, version as a number, trailing slash on stateDir', () => {
  const c = parseServerConfig(
    doc((d) => {
      d.version = 1;
      d.server = { logLevel: 'DEBUG', address: '[::]:50052', stateDir: '/var/lib/joblet-test/' };
    }),
    'x.yml',
  );
  assert.is(c.server.logLevel, 'debug');
  assert.is(c.server.address, '[::]:50052');
  assert.is(c.server.stateDir, '/var/lib/joblet-test');
  assert.is(c.version, '1');
});

test('bad values: one line naming the key, the rule and the value', () => {
  const cases: [(d: Record<string, any>) => void, string | RegExp][] = [
    [(d) => (d.server = { address: 'localhost:99999' }), 'joblet-config.yml: server.address: must be HOST:PORT with a port 1-65535 (got "localhost:99999")'],
    [(d) => (d.server = { address: 'localhost' }), 'joblet-config.yml: server.address: must be HOST:PORT with a port 1-65535 (got "localhost")'],
    [(d) => (d.server = { address: '::1:50051' }), 'joblet-config.yml: server.address: must be HOST:PORT with a port 1-65535 (got "::1:50051")'],
    [(d) => (d.server = { stateDir: 'var/joblet' }), 'joblet-config.yml: server.stateDir: must be an absolute path other than / (got "var/joblet")'],
    [(d) => (d.server = { stateDir: '/' }), 'joblet-config.yml: server.stateDir: must be an absolute path other than / (got "/")'],
    [(d) => (d.server = { instance: 'Joblet_A' }), 'joblet-config.yml: server.instance: must be 1-12 characters of a-z, 0-9 and - (got "Joblet_A")'],
    [(d) => (d.server = { instance: 'abcdefghijklm' }), 'joblet-config.yml: server.instance: must be 1-12 characters of a-z, 0-9 and - (got "abcdefghijklm")'],
    [(d) => (d.server = { logLevel: 'verbose' }), 'joblet-config.yml: server.logLevel: must be one of debug, info, warn, error (any case) (got "verbose")'],
    [(d) => (d.server = { maxMessageBytes: 10 }), 'joblet-config.yml: server.maxMessageBytes: must be an integer 1024-2147483647 (got 10)'],
    [(d) => (d.jobs = { uid: 0 }), 'joblet-config.yml: jobs.uid: must be an integer 1-2147483648 (got 0)'],
    [(d) => (d.jobs = { gid: 'nogroup' }), 'joblet-config.yml: jobs.gid: must be an integer 1-2147483648 (got "nogroup")'],
    [(d) => (d.jobs = { uid: 1.5 }), 'joblet-config.yml: jobs.uid: must be an integer 1-2147483648 (got 1.5)'],
    [(d) => (d.jobs = { stopGraceSeconds: 3601 }), 'joblet-config.yml: jobs.stopGraceSeconds: must be an integer 0-3600 (got 3601)'],
    [(d) => (d.jobs = { maxLogBytes: 100 }), 'joblet-config.yml: jobs.maxLogBytes: must be an integer 4096-1099511627776 (got 100)'],
    [(d) => (d.jobs = { userName: 'Root User' }), 'joblet-config.yml: jobs.userName: must be a user name: 1-32 characters of a-z, 0-9, _ and -, not starting with a digit or - (got "Root User")'],
    [(d) => (d.jobs = { uidd: 5 }), 'joblet-config.yml: jobs.uidd: unknown key (allowed: uid, gid, userName, stopGraceSeconds, maxLogBytes, tmpSizeMB, nofile, maxConcurrentJobs, uploadIdleSeconds, retention, logHeadBytes, warmPool, warmPoolMaxIdleSeconds)'],
    [(d) => (d.jobs = { warmPool: 65 }), 'joblet-config.yml: jobs.warmPool: must be an integer 0-64 (got 65)'],
    [(d) => (d.jobs = { warmPool: -1 }), 'joblet-config.yml: jobs.warmPool: must be an integer 0-64 (got -1)'],
    [(d) => (d.jobs = { warmPoolMaxIdleSeconds: 5 }), 'joblet-config.yml: jobs.warmPoolMaxIdleSeconds: must be an integer 10-86400 (got 5)'],
    [(d) => (d.jobs = { maxLogBytes: 1048576, logHeadBytes: 600000 }), 'joblet-config.yml: jobs.logHeadBytes: must be at most half of jobs.maxLogBytes (524288), so the end of the output is kept too'],
    [(d) => (d.jobs = { retention: { days: -1 } }), /^joblet-config.yml: jobs.retention.days: /],
    [(d) => (d.scheduling = { misfireGraceSeconds: 'soon' }), /^joblet-config.yml: scheduling.misfireGraceSeconds: /],
    [(d) => (d.serverr = {}), /^joblet-config\.yml: serverr: unknown key \(allowed: version, server, security, jobs, limits(, [a-z]+)*\)$/],
    [(d) => (d.server = { port: 50051 }), 'joblet-config.yml: server.port: unknown key (allowed: address, stateDir, instance, logLevel, maxMessageBytes)'],
    [(d) => (d.version = '3.0'), 'joblet-config.yml: version: must be "1" (got "3.0")'],
    [(d) => (d.jobs = []), 'joblet-config.yml: jobs: must be a mapping of keys to values (got a list)'],
    [(d) => (d.jobs = { uid: null }), 'joblet-config.yml: jobs.uid: must be an integer 1-2147483648 (got an empty value)'],
    [(d) => delete d.security, 'joblet-config.yml: security: is required'],
  ];
  for (const [patch, want] of cases) {
    if (want instanceof RegExp) assert.match(problem(doc(patch)), want);
    else assert.is(problem(doc(patch)), want);
  }
});

test('monitoring: defaults, and bad values refused naming the key', () => {
  assert.equal(parseServerConfig(doc(), 'x.yml').monitoring, { jobIntervalSeconds: 5, retentionDays: 7, cloudMetadata: false });
  const c = parseServerConfig(doc((d) => (d.monitoring = { jobIntervalSeconds: 1, retentionDays: 30, cloudMetadata: true })), 'x.yml');
  assert.equal(c.monitoring, { jobIntervalSeconds: 1, retentionDays: 30, cloudMetadata: true });
  assert.is(problem(doc((d) => (d.monitoring = { jobIntervalSeconds: 0 }))), 'joblet-config.yml: monitoring.jobIntervalSeconds: must be an integer 1-3600 (got 0)');
  assert.is(problem(doc((d) => (d.monitoring = { retentionDays: -1 }))), 'joblet-config.yml: monitoring.retentionDays: must be an integer 1-3650 (got -1)');
  assert.is(problem(doc((d) => (d.monitoring = { cloudMetadata: 'yes' }))), 'joblet-config.yml: monitoring.cloudMetadata: must be true or false (got "yes")');
  assert.match(problem(doc((d) => (d.monitoring = { interval: 5 }))), /monitoring\.interval: unknown key \(allowed: jobIntervalSeconds, retentionDays, cloudMetadata\)/);
});

test('several problems are listed on one line, and counted past three', () => {
  assert.is(
    problem(doc((d) => (d.jobs = { uid: 0, gid: 0 }))),
    'joblet-config.yml: jobs.uid: must be an integer 1-2147483648 (got 0); jobs.gid: must be an integer 1-2147483648 (got 0)',
  );
  const many = problem(doc((d) => (d.jobs = { uid: 0, gid: 0, nofile: 1, tmpSizeMB: 0, maxConcurrentJobs: 0 })));
  assert.match(many, /; and 2 more problems$/);
});

test('PEM problems: missing, not PEM, not parseable, mismatched key, expired, not a CA; never echoes the PEM', async () => {
  assert.is(
    problem(doc((d) => delete d.security.serverKey)),
    "joblet-config.yml: security.serverKey: is required: the server certificate's private key in PEM form (`joblet init` writes one into the config)",
  );
  assert.is(
    problem(doc((d) => (d.security.serverCert = 'SECRET-ISH'))),
    'joblet-config.yml: security.serverCert: must be the server certificate in PEM form (no "-----BEGIN …" line found)',
  );
  const garbage = problem(doc((d) => (d.security.caCert = '-----BEGIN CERTIFICATE-----\nAAAASECRET\n-----END CERTIFICATE-----\n')));
  assert.match(garbage, /^joblet-config\.yml: security\.caCert: is not a valid certificate: /);
  assert.not.match(garbage, 'AAAASECRET');
  const badKey = problem(doc((d) => (d.security.serverKey = '-----BEGIN PRIVATE KEY-----\nAAAASECRET\n-----END PRIVATE KEY-----\n')));
  assert.match(badKey, /^joblet-config\.yml: security\.serverKey: is not a valid private key/);
  assert.not.match(badKey, 'AAAASECRET');
  assert.is(
    problem(doc((d) => (d.security.serverKey = other.key))),
    'joblet-config.yml: security.serverKey: does not belong to security.serverCert (the key and certificate come from different pairs)',
  );
  assert.is(problem(doc((d) => (d.security.caCert = server.cert))), 'joblet-config.yml: security.caCert: is not a CA certificate (basicConstraints CA:TRUE missing)');
  const old = await issueServerCert(ca, [], { notBefore: new Date(Date.now() - 3 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  assert.match(
    problem(doc((d) => Object.assign(d.security, { serverCert: old.cert, serverKey: old.key }))),
    /^joblet-config\.yml: security\.serverCert: expired on \d{4}-\d\d-\d\dT.*; make new certificates with `joblet init --force`$/,
  );
  // A CA bundle with several certificates is fine as long as one is a CA.
  const client = await issueClientCert(ca, 'admin');
  parseServerConfig(doc((d) => (d.security.caCert = `${client.cert}\n${ca.cert}\n`)), 'x.yml');
});

test('YAML syntax errors give line and column; empty and non-mapping files are refused', () => {
  assert.match(problem('version: "1"\nserver:\n  address: [oops\n'), /^joblet-config\.yml:\d+:\d+: YAML syntax error: /);
  assert.match(problem('server:\n  address: "a:1"\n  address: "b:2"\n'), /^joblet-config\.yml:3:\d+: YAML syntax error: duplicated mapping key/);
  assert.is(problem(''), 'joblet-config.yml: file is empty');
  assert.is(problem('# only a comment\n'), 'joblet-config.yml: file is empty');
  assert.is(problem('- a\n- b\n'), 'joblet-config.yml: must be a YAML mapping of keys to values at the top level');
});

test('search list: $JOBLET_CONFIG_PATH first, then /opt, ./, /etc', () => {
  const cwd = process.cwd();
  assert.equal(SERVER_CONFIG_SEARCH({}), [DEFAULT_SERVER_CONFIG_PATH, path.join(cwd, 'joblet-config.yml'), '/etc/joblet/joblet-config.yml']);
  assert.equal(SERVER_CONFIG_SEARCH({ JOBLET_CONFIG_PATH: '/x/y.yml' })[0], '/x/y.yml');
});

test('loadServerConfig: --config, then $JOBLET_CONFIG_PATH, then the search list', () => {
  const a = path.join(tmp, 'a.yml');
  const b = path.join(tmp, 'b.yml');
  fs.writeFileSync(a, doc((d) => (d.server = { instance: 'from-a' })));
  fs.writeFileSync(b, doc((d) => (d.server = { instance: 'from-b' })));
  assert.is(loadServerConfig(a, { JOBLET_CONFIG_PATH: b }).config.server.instance, 'from-a');
  const viaEnv = loadServerConfig(undefined, { JOBLET_CONFIG_PATH: b });
  assert.is(viaEnv.config.server.instance, 'from-b');
  assert.is(viaEnv.path, b);

  // ./joblet-config.yml is found from the working directory, unless the /opt file exists (it comes first).
  const cwd = process.cwd();
  const local = fs.mkdtempSync(path.join(tmp, 'cwd-'));
  fs.writeFileSync(path.join(local, 'joblet-config.yml'), doc((d) => (d.server = { instance: 'from-cwd' })));
  process.chdir(local);
  try {
    const found = loadServerConfig(undefined, {});
    if (fs.existsSync(DEFAULT_SERVER_CONFIG_PATH)) assert.is(found.path, DEFAULT_SERVER_CONFIG_PATH);
    else assert.equal([found.path, found.config.server.instance], [path.join(local, 'joblet-config.yml'), 'from-cwd']);
  } finally {
    process.chdir(cwd);
  }
});

test('an explicit path that does not exist is an error, not a fallback', () => {
  const missing = path.join(tmp, 'nope.yml');
  try {
    loadServerConfig(undefined, { JOBLET_CONFIG_PATH: missing });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, `config file ${missing} (from $JOBLET_CONFIG_PATH) does not exist; create one with \`joblet init\``);
  }
  try {
    loadServerConfig(missing, {});
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, `config file ${missing} (from --config) does not exist`);
  }
  try {
    loadServerConfig(tmp, {});
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, `config file ${tmp} is a directory, not a file`);
  }
});

test('the stored log keeps 4 MiB of its start by default, a quarter of a smaller bound, or what was asked', () => {
  assert.is(parseServerConfig(doc(), 'x.yml').jobs.logHeadBytes, 4 * 1024 * 1024);
  assert.is(parseServerConfig(doc((d) => (d.jobs = { maxLogBytes: 1048576 })), 'x.yml').jobs.logHeadBytes, 262144);
  assert.is(parseServerConfig(doc((d) => (d.jobs = { maxLogBytes: 1048576, logHeadBytes: 524288 })), 'x.yml').jobs.logHeadBytes, 524288);
  assert.is(parseServerConfig(doc((d) => (d.jobs = { logHeadBytes: 0 })), 'x.yml').jobs.logHeadBytes, 0);
});

test('nothing found: the message lists every searched path and the hint', () => {
  const paths = [path.join(tmp, 'one.yml'), path.join(tmp, 'two.yml')];
  try {
    readFirstConfig({ candidates: paths, notFoundHint: 'create one with `joblet init`' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.is((err as Error).message, `no config file found (searched ${paths[0]}, ${paths[1]}); create one with \`joblet init\``);
  }
  fs.writeFileSync(paths[1]!, 'x: 1\n');
  assert.equal(readFirstConfig({ candidates: paths, notFoundHint: '' }), { path: paths[1], text: 'x: 1\n' });
});

test.run();
