/**
 * Network egress of a job: with --network=none (its own namespace with only loopback) host
 * services, the daemon's port and the host's own addresses are unreachable, over IPv4 and IPv6;
 * on the bridge network (the default) the host behind the gateway answers nothing either. Only
 * loopback and the host's own addresses are ever targeted, never an outside one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon, expectOutcomes, probe, requireRoot } from './helpers';

const it = requireRoot() ? test : test.skip;

let d: TestDaemon;
/** A host service on every address (IPv4 and IPv6) that counts the connections it gets. */
let server: net.Server;
let port = 0;
let accepted = 0;
/** A host service on an abstract unix socket (exact-length name, as probe.pl connects); prints a line per connection. */
let abstract: ChildProcess;
let abstractOut = '';
const ABSTRACT = `joblet-sec-${process.pid}`;

/** The host's own non-loopback addresses (connecting to them from the host is local delivery). */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && !a.address.startsWith('fe80'))
    .map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address))
    .slice(0, 4);
}

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start();
  server = net.createServer((s) => {
    accepted++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  port = (server.address() as net.AddressInfo).port;
  const listener = `use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; bind($s, pack('S', AF_UNIX) . "\\0${ABSTRACT}") or die "bind: $!"; listen($s, 5); $| = 1; print "ready\\n"; while (accept(my $c, $s)) { print "CONNECTED\\n" }`;
  abstract = spawn('perl', ['-e', listener], { stdio: ['ignore', 'pipe', 'inherit'] });
  abstract.stdout!.on('data', (b) => (abstractOut += b));
  await new Promise<void>((resolve) => abstract.stdout!.once('data', () => resolve()));
});
test.after(async () => {
  abstract?.kill('SIGKILL');
  server?.close();
  await d?.destroy();
});

const NONE = ['--network=none'];

it('--network=none: only loopback, no IPv4 or IPv6 route', async () => {
  const got = await probe(d, ['net_ifaces', 'routes_v4', 'routes_v6'], [], NONE);
  expectOutcomes(got, { net_ifaces: 'lo', routes_v4: '0', routes_v6: '0' });
});

it("--network=none: host services and the daemon's port on loopback are unreachable (the job's loopback is its own)", async () => {
  const targets = [`127.0.0.1:${port}`, `[::1]:${port}`, `127.0.0.1:${d.port}`];
  const got = await probe(d, ['connect'], targets.map((t) => `target=${t}`), NONE);
  expectOutcomes(got, { connect: targets.map((t) => `${t}=ECONNREFUSED`).join(' ') });
  assert.is(accepted, 0, 'the host service got a connection from the job');
});

it('abstract unix sockets of the host are out of reach, with --network=none and on the bridge', async () => {
  for (const mode of ['--network=none', '--network=bridge']) {
    expectOutcomes(await probe(d, ['unix_abstract'], [`abstract=${ABSTRACT}`], [mode]), { unix_abstract: `${ABSTRACT}=ECONNREFUSED` });
  }
  assert.is(abstractOut, 'ready\n', 'the host service got a connection from a job');
});

it("--network=none: the host's own addresses have no route (ENETUNREACH), nothing arrives", async () => {
  const addrs = hostAddresses();
  assert.ok(addrs.length > 0, 'the host has a non-loopback address to try');
  const targets = addrs.map((a) => `${a}:${port}`);
  const got = await probe(d, ['connect'], targets.map((t) => `target=${t}`), NONE);
  expectOutcomes(got, { connect: targets.map((t) => `${t}=ENETUNREACH`).join(' ') });
  assert.is(accepted, 0, 'the host service got a connection from the job');
});

it("bridge network: the host service and the daemon's port through the gateway and on the host's addresses never answer", async () => {
  const v4 = [`gateway:${port}`, `gateway:${d.port}`, ...hostAddresses().filter((a) => !a.startsWith('[')).map((a) => `${a}:${port}`)];
  const v6 = [`[::1]:${port}`, ...hostAddresses().filter((a) => a.startsWith('[')).map((a) => `${a}:${port}`)];
  const got = await probe(d, ['connect'], [...v4, ...v6].map((t) => `target=${t}`), ['--network=bridge']);
  const outcome = new Map(got.connect!.split(' ').map((kv) => [kv.slice(0, kv.lastIndexOf('=')), kv.slice(kv.lastIndexOf('=') + 1)]));
  // IPv4 to the host is dropped, not rejected: an answered SYN would say ok or ECONNREFUSED.
  assert.equal(v4.map((t) => `${t}=${outcome.get(t)}`), v4.map((t) => `${t}=ETIMEDOUT`));
  // IPv6 has no way out of a job at all.
  for (const t of v6) assert.match(outcome.get(t) ?? '', /^(ENETUNREACH|EHOSTUNREACH|EADDRNOTAVAIL|EINVAL|ETIMEDOUT)$/, `${t}: ${outcome.get(t)}`);
  assert.is(accepted, 0, 'the host service got a connection from the job');
});

test.run();
