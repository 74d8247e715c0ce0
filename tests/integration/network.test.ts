/**
 * Job networks end to end, with a real daemon and real jobs: who reaches whom in each mode, what
 * the host and the "outside" see, network commands and their refusals, and that nothing leaks or
 * doubles across restarts and crashes. Needs root, iproute2, nftables and /usr/bin/python3.
 *
 * No traffic leaves this host: "the outside" is a network namespace this test creates behind the
 * host, on 198.18.X.0/24 (RFC 2544 benchmarking addresses) plus one link-local address routed
 * into it; every other target is an address of this host or of a job.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, TestDaemon } from '../helpers/daemon';

const PY = '/usr/bin/python3';
const SKIP = process.env.JOBLET_ALLOW_SKIP === '1';
const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(-6);
const OUT_NS = `jt_out_${tag}`;
const OUT_VETH = `jto${tag}`;
const x = 1 + Math.floor(Math.random() * 250);
const OUT_HOST = `198.18.${x}.1`;
const OUT_IP = `198.18.${x}.2`;
const OUT_CIDR = `198.18.${x}.0/24`;
/** A link-local address (like cloud metadata's 169.254.169.254) that exists only in the fake outside. */
const LINK_LOCAL = `169.254.${x}.77`;

/** A server job: prints its address, then greets every client with both addresses. */
const SERVER = `
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(64)
me = socket.gethostname()
ip = [l.split()[0] for l in open('/etc/hosts') if me in l.split()[1:]][0]
print('listening', ip, flush=True)
while True:
    c, a = s.accept(); c.sendall(('hello from %s to %s\\n' % (ip, a[0])).encode()); c.close()
`;

/** A client: one line per HOST:PORT argument, "OK <greeting>" or "FAIL <error>" (all tried at once). */
const CLIENT = `
import socket, sys, threading
out = {}
def attempt(t):
    h, p = t.rsplit(':', 1)
    try:
        c = socket.create_connection((h.strip('[]'), int(p)), timeout=1.5)
        out[t] = 'OK ' + c.recv(200).decode().strip()
    except Exception as e:
        out[t] = 'FAIL %s %s' % (type(e).__name__, e)
threads = [threading.Thread(target=attempt, args=(t,)) for t in sys.argv[1:]]
for th in threads: th.start()
for th in threads: th.join()
for t in sys.argv[1:]: print(t, out[t])
`;

let d: TestDaemon;
let outside: ChildProcess | undefined;
let hostServer: net.Server;
let hostPort = 0;
const hostSeen: string[] = [];
const servers: string[] = [];
let netA = '';
let netB = '';

async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await exec(cmd, args, { input });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Two free, unused /24 blocks for the test's custom networks. */
function customCidrs(): [string, string] {
  const k = Math.floor(Math.random() * 16000);
  return [`10.${64 + (k >> 8)}.${k & 255}.0/24`, `10.${64 + (k >> 8)}.${(k + 1) & 255}.0/28`];
}

/** Create the fake outside: a namespace behind a veth, with a server on OUT_IP:8080 and LINK_LOCAL:80. */
async function createOutside(): Promise<void> {
  await removeStaleOutsides();
  await sh('ip', ['netns', 'add', OUT_NS]);
  await sh('ip', ['-batch', '-'], [
    `link add ${OUT_VETH} type veth peer name eth0 netns ${OUT_NS}`,
    `addr add ${OUT_HOST}/24 dev ${OUT_VETH}`,
    `link set ${OUT_VETH} up`,
    `route replace ${LINK_LOCAL}/32 via ${OUT_IP}`,
  ].join('\n') + '\n');
  await sh('ip', ['-n', OUT_NS, '-batch', '-'], ['link set lo up', `addr add ${OUT_IP}/24 dev eth0`, `addr add ${LINK_LOCAL}/32 dev eth0`, 'link set eth0 up', `route add default via ${OUT_HOST}`].join('\n') + '\n');
  // PR_SET_PDEATHSIG: the server dies with this test process, even when the process is killed.
  const py = `
import ctypes, socket, threading
ctypes.CDLL(None).prctl(1, 9)
def serve(addr, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, port)); s.listen(64)
    while True:
        c, a = s.accept(); c.sendall(('outside %s saw %s\\n' % (addr, a[0])).encode()); c.close()
threading.Thread(target=serve, args=('${LINK_LOCAL}', 80), daemon=True).start()
print('ready', flush=True)
serve('${OUT_IP}', 8080)
`;
  outside = spawn('ip', ['netns', 'exec', OUT_NS, PY, '-c', py], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    outside!.stdout!.once('data', () => resolve());
    outside!.once('exit', (c) => reject(new Error(`outside server exited with ${c}`)));
  });
}

/**
 * An outside left by a test process that was killed (its namespace has no process left) would
 * hold its addresses and routes: remove it, so a later run starts from a clean host.
 */
async function removeStaleOutsides(): Promise<void> {
  if (!fs.existsSync('/run/netns')) return;
  for (const ns of fs.readdirSync('/run/netns').filter((n) => n.startsWith('jt_out_'))) {
    if ((await exec('ip', ['netns', 'pids', ns])).stdout.trim() !== '') continue;
    await exec('ip', ['link', 'del', `jto${ns.slice('jt_out_'.length)}`]);
    await exec('ip', ['netns', 'del', ns]);
  }
}

async function removeOutside(): Promise<void> {
  outside?.kill('SIGKILL');
  await exec('ip', ['link', 'del', OUT_VETH]);
  await exec('ip', ['netns', 'del', OUT_NS]);
}

/** Start a server job on `network`; returns its id and address. */
async function serverJob(network: string, port = 8080): Promise<{ id: string; ip: string }> {
  const id = await d.run([`--network=${network}`, PY, '-u', '-c', SERVER, String(port)]);
  servers.push(id);
  for (let i = 0; i < 100; i++) {
    const log = await d.rnx(['log', '--no-follow', id]);
    const m = /^listening (\S+)$/m.exec(log.stdout);
    if (m) return { id, ip: m[1]! };
    const st = JSON.parse((await d.rnx(['status', '--json', id])).stdout);
    if (st.status !== 'RUNNING' && st.status !== 'INITIALIZING') throw new Error(`server job on ${network} ended: ${JSON.stringify(st)} ${log.stdout}${log.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server job on ${network} did not start listening`);
}

/** Run a client job on `network` against targets; returns target → "OK …" / "FAIL …". */
async function probe(network: string, targets: string[]): Promise<Record<string, string>> {
  const r = await d.rnx(['run', '--wait', `--network=${network}`, PY, '-c', CLIENT, ...targets], { timeoutMs: 60000 });
  if (r.code !== 0) throw new Error(`client on ${network} failed (${r.code}): ${r.stderr}${r.stdout}`);
  const out: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const i = line.indexOf(' ');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  assert.equal(Object.keys(out).sort(), [...targets].sort(), `client output: ${r.stdout}`);
  return out;
}

function ok(res: Record<string, string>, target: string, what: string): string {
  assert.match(res[target]!, /^OK /, `${what}: ${target} → ${res[target]}`);
  return res[target]!;
}

function blocked(res: Record<string, string>, target: string, what: string): void {
  assert.match(res[target]!, /^FAIL /, `${what}: ${target} should be unreachable, got ${res[target]}`);
}

/** This host's IPv4 addresses outside loopback (eth0, every bridge gateway, the outside veth...). */
function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/**
 * Interfaces, namespaces and the firewall table of one daemon instance, as the host has them.
 * Attachments the daemon prepares in advance for future jobs (network.warmLinks, made and
 * replaced in the background) are left out unless `spares`; a job's own attachment never is.
 */
async function footprint(instance: string, spares = false): Promise<{ links: string[]; netns: string[]; table: string }> {
  const links = (JSON.parse(await sh('ip', ['-j', '-d', 'link', 'show'])) as { ifname: string; ifalias?: string }[])
    .filter((l) => l.ifalias?.startsWith(`joblet/${instance}/`) && (spares || !l.ifalias.startsWith(`joblet/${instance}/spare/`)))
    .map((l) => `${l.ifname} ${l.ifalias}`)
    .sort();
  const netns = fs.existsSync('/run/netns')
    ? fs
        .readdirSync('/run/netns')
        .filter((n) => n.startsWith(`joblet_${instance}_`) && (spares || !n.startsWith(`joblet_${instance}_spare_`)))
        .sort()
    : [];
  const t = await exec('nft', ['list', 'table', 'inet', `joblet_${instance.replace(/-/g, '_')}`]);
  // Set elements are printed in kernel order; compare the sorted lines.
  const table = t.code === 0 ? t.stdout.split('\n').map((l) => l.trim()).filter(Boolean).sort().join('\n') : '';
  return { links, netns, table };
}

test.before(async () => {
  const missing = ['/usr/sbin/ip', '/usr/sbin/nft', PY].filter((p) => !fs.existsSync(p));
  if (process.getuid?.() !== 0 || missing.length > 0) {
    const why = `network tests need root and ${missing.join(', ') || 'nothing else'} (apt-get install iproute2 nftables python3)`;
    if (SKIP) return;
    throw new Error(why);
  }
  hostServer = net.createServer((c) => {
    hostSeen.push(c.remoteAddress ?? '?');
    c.end('host service\n');
  });
  await new Promise<void>((r) => hostServer.listen(0, '0.0.0.0', r));
  hostPort = (hostServer.address() as net.AddressInfo).port;
  await createOutside();
  // Listening on every address: the daemon's port must still be out of the jobs' reach.
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/^  address: "127\.0\.0\.1:/m, '  address: "0.0.0.0:') });
  [netA, netB] = customCidrs();
});

test.after(async () => {
  for (const id of servers) await d?.rnx(['stop', id]).catch(() => undefined);
  await d?.destroy();
  // Whatever a failed test left of this daemon instance goes too (its tests assert it never does).
  if (d) {
    const left = await footprint(d.instance, true);
    for (const l of left.links) await exec('ip', ['link', 'del', l.split(' ')[0]!]);
    for (const n of left.netns) await exec('ip', ['netns', 'del', n]);
    if (left.table) await exec('nft', ['delete', 'table', 'inet', `joblet_${d.instance.replace(/-/g, '_')}`]);
  }
  await removeOutside();
  hostServer?.close();
});

test('network create and list: custom networks get their own bridge; built-ins are marked', async () => {
  const a = await d.rnx(['network', 'create', 'net-a', `--cidr=${netA}`]);
  assert.is(a.code, 0, a.stderr);
  assert.match(a.stdout, new RegExp(`^Network 'net-a' created: ${netA.replace(/\./g, '\\.')} on bridge jb[0-9a-f]{11}\\n$`));
  const b = await d.rnx(['network', 'create', 'net-b', `--cidr=${netB}`, '--json']);
  assert.is(b.code, 0, b.stderr);
  assert.equal(Object.keys(JSON.parse(b.stdout)), ['name', 'cidr', 'bridge']);
  const list = JSON.parse((await d.rnx(['network', 'list', '--json'])).stdout) as { name: string; cidr: string; bridge: string; jobs: number; builtin: boolean }[];
  assert.equal(list.map((n) => [n.name, n.builtin]), [['none', true], ['isolated', true], ['bridge', true], ['net-a', false], ['net-b', false]]);
  assert.is(list[3]!.cidr, netA);
  assert.is(new Set(list.slice(1).map((n) => n.bridge)).size, 4);
  const text = (await d.rnx(['network', 'list'])).stdout;
  assert.match(text, /^NAME +CIDR +BRIDGE +JOBS$/m);
  assert.match(text, /^bridge \(built-in\) +10\.\d+\.\d+\.0\/24 +jb[0-9a-f]{11} +0$/m);
  assert.match(text, /^none \(built-in\) +- +- +0$/m);
  const fp = await footprint(d.instance);
  assert.is(fp.links.length, 4, fp.links.join('\n'));
});

test('jobs on one custom network reach each other; other networks cannot reach them', async () => {
  const srv = await serverJob('net-a');
  assert.ok(srv.ip.startsWith(netA.split('.').slice(0, 3).join('.')), srv.ip);
  const target = `${srv.ip}:8080`;
  const same = await probe('net-a', [target]);
  assert.match(ok(same, target, 'same network'), new RegExp(`hello from ${srv.ip} to ${netA.split('.').slice(0, 3).join('\\.')}\\.\\d+$`));
  for (const other of ['net-b', 'bridge', 'isolated', 'none']) blocked(await probe(other, [target]), target, `from ${other}`);
  const list = JSON.parse((await d.rnx(['network', 'list', '--json'])).stdout) as { name: string; jobs: number }[];
  assert.is(list.find((n) => n.name === 'net-a')!.jobs, 1);
  const st = JSON.parse((await d.rnx(['status', '--json', srv.id])).stdout);
  assert.is(st.network, 'net-a');
  assert.match((await d.rnx(['status', srv.id])).stdout, /^Network: +net-a$/m);
});

test('bridge (the default) jobs reach each other and the outside, NATed', async () => {
  const srv = await serverJob('bridge', 8081);
  const id = await d.run(['true']);
  assert.is((await d.waitDone(id)).network, 'bridge');
  const res = await probe('bridge', [`${srv.ip}:8081`, `${OUT_IP}:8080`]);
  ok(res, `${srv.ip}:8081`, 'bridge to bridge');
  // The outside sees the host's address, never the job's.
  assert.match(ok(res, `${OUT_IP}:8080`, 'bridge to outside'), new RegExp(`saw ${OUT_HOST.replace(/\./g, '\\.')}$`));
});

test('isolated jobs reach the outside only: not another job, not the daemon, not the host', async () => {
  const srv = await serverJob('isolated', 8082);
  const gw = srv.ip.replace(/\.\d+$/, '.1');
  const res = await probe('isolated', [`${OUT_IP}:8080`, `${srv.ip}:8082`, `${gw}:${d.port}`, `${gw}:${hostPort}`]);
  assert.match(ok(res, `${OUT_IP}:8080`, 'isolated to outside'), new RegExp(`saw ${OUT_HOST.replace(/\./g, '\\.')}$`));
  blocked(res, `${srv.ip}:8082`, 'isolated to isolated');
  blocked(res, `${gw}:${d.port}`, 'isolated to the daemon port');
  blocked(res, `${gw}:${hostPort}`, 'isolated to a host service');
  blocked(await probe('bridge', [`${srv.ip}:8082`]), `${srv.ip}:8082`, 'bridge to isolated');
});

test('none: only lo, nothing reachable', async () => {
  const r = await d.rnx(['run', '--wait', '--network=none', PY, '-c', 'import socket; print([n for _, n in socket.if_nameindex()])']);
  assert.is(r.stdout, "['lo']\n");
  const res = await probe('none', [`${OUT_IP}:8080`, `127.0.0.1:${d.port}`, `127.0.0.1:${hostPort}`]);
  for (const t of Object.keys(res)) blocked(res, t, 'none');
  assert.match(res[`${OUT_IP}:8080`]!, /unreachable/i);
});

test('no job reaches a host service, the daemon port or link-local addresses, by any host address or IPv6', async () => {
  const before = hostSeen.length;
  // The host itself can reach all of them: a job's failure is the firewall, not a broken target.
  for (const target of [`${OUT_IP}:8080`, `${LINK_LOCAL}:80`]) {
    const [h, p] = target.split(':');
    const r = await exec(PY, ['-c', CLIENT, target]);
    assert.match(r.stdout, /OK/, `host → ${h}:${p}: ${r.stdout}`);
  }
  const addrs = hostAddresses();
  assert.ok(addrs.length >= 4, addrs.join(' '));
  const targets = [...addrs.flatMap((a) => [`${a}:${hostPort}`, `${a}:${d.port}`]), `${LINK_LOCAL}:80`, `[fd00::2]:${hostPort}`, `[::1]:${hostPort}`];
  for (const mode of ['bridge', 'isolated', 'net-a']) {
    const res = await probe(mode, targets);
    for (const t of targets) blocked(res, t, `from ${mode}`);
  }
  assert.is(hostSeen.length, before, `the host service was reached from ${hostSeen.slice(before).join(', ')}`);
  const v6 = await d.rnx(['run', '--wait', '--network=bridge', 'cat', '/proc/net/if_inet6']);
  assert.equal(v6.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).pop()), ['lo'], `IPv6 addresses in a job: ${v6.stdout}`);
});

test('/etc/hosts names the job with its own address; resolv.conf has the host resolvers', async () => {
  const r = await d.rnx(['run', '--wait', '--network=net-a', 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; hostname']);
  const [hosts, resolv, hostname] = r.stdout.split('---\n');
  const name = hostname!.trim();
  assert.match(hosts!, new RegExp(`^${netA.split('.').slice(0, 3).join('\\.')}\\.\\d+\\t${name}$`, 'm'));
  assert.not.match(hosts!, /127\.0\.1\.1/);
  assert.not.match(resolv!, /nameserver\s+127\./);
  const hostResolvers = fs.readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^\s*nameserver\s+(?!127\.|::1)/.test(l));
  for (const l of hostResolvers) assert.ok(resolv!.includes(l.trim()), `${l} missing from the job's resolv.conf`);
});

test('addresses are unique among running jobs and come back when jobs end', async () => {
  const ids = await Promise.all(Array.from({ length: 6 }, () => d.run(['--network=net-b', 'sh', '-c', 'grep "$(hostname)" /etc/hosts; sleep 2'])));
  const addrs: string[] = [];
  for (const id of ids) {
    const j = await d.waitDone(id);
    assert.is(j.status, 'COMPLETED', JSON.stringify(j));
    addrs.push((await d.rnx(['log', id])).stdout.split('\t')[0]!);
  }
  assert.is(new Set(addrs).size, 6, addrs.join(' '));
  // net-b is a /28: 13 job addresses. Three rounds of 6 only fit if ended jobs gave theirs back.
  for (let round = 0; round < 2; round++) {
    const more = await Promise.all(Array.from({ length: 6 }, () => d.run(['--network=net-b', 'true'])));
    for (const id of more) assert.is((await d.waitDone(id)).status, 'COMPLETED');
  }
  const fp = await footprint(d.instance);
  assert.equal(fp.netns.filter((n) => ids.some((id) => n.endsWith(id))), []);
});

test('bad names, CIDRs and removals are refused with clear messages and exit code 1', async () => {
  const cases: [string[], RegExp][] = [
    [['network', 'create', 'x', '--cidr=10.1.2.3/16'], /has host bits set: the network address of that block is 10\.1\.0\.0\/16/],
    [['network', 'create', 'x', '--cidr=10.1.0.0'], /is not an IPv4 block/],
    [['network', 'create', 'x'], /--cidr is required: rnx network create x --cidr=10\.10\.0\.0\/24/],
    [['network', 'create', 'x', '--cidr=10.1.0.0/31'], /too small/],
    [['network', 'create', 'x', '--cidr=10.0.0.0/7'], /too large/],
    [['network', 'create', 'x', '--cidr=127.0.0.0/8'], /overlaps loopback/],
    [['network', 'create', 'x', '--cidr=169.254.0.0/16'], /overlaps link-local/],
    [['network', 'create', 'x', '--cidr=239.0.0.0/8'], /overlaps multicast/],
    [['network', 'create', 'x', `--cidr=${netA}`], /overlaps network 'net-a'/],
    [['network', 'create', 'x', `--cidr=${OUT_CIDR}`], new RegExp(`overlaps the host's route to ${OUT_CIDR.replace(/\./g, '\\.')} \\(dev ${OUT_VETH}\\)`)],
    [['network', 'create', 'net-a', '--cidr=10.250.250.0/24'], /network 'net-a' already exists/],
    [['network', 'create', 'bridge', '--cidr=10.250.250.0/24'], /invalid network name 'bridge': reserved for the built-in network/],
    [['network', 'create', 'Bad_Name', '--cidr=10.250.250.0/24'], /invalid network name 'Bad_Name': use a-z, 0-9 and -/],
    [['network', 'create', 'n'.repeat(33), '--cidr=10.250.250.0/24'], /too long \(33 characters; at most 32\)/],
    [['network', 'remove', 'bridge'], /'bridge' is a built-in network and cannot be removed/],
    [['network', 'remove', 'none'], /'none' is a built-in network/],
    [['network', 'remove', 'nope'], /^rnx: network 'nope' not found \(see 'rnx network list'\)\n$/],
    [['network', 'remove', 'net-a'], /network 'net-a' is used by 1 running job; stop it first/],
    [['run', '--network=nope', 'true'], /^rnx: network 'nope' not found \(see 'rnx network list'\); use none, isolated, bridge/],
  ];
  const jobsBefore = JSON.parse((await d.rnx(['list', '--json'])).stdout).length;
  for (const [args, message] of cases) {
    const r = await d.rnx(args);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.is(JSON.parse((await d.rnx(['list', '--json'])).stdout).length, jobsBefore, 'a job was created for an unknown network');
  const viewer = await d.rnx(['--node', 'viewer', 'network', 'create', 'v', '--cidr=10.250.250.0/24']);
  assert.is(viewer.code, 1);
  assert.match(viewer.stderr, /role 'viewer' may not call CreateNetwork/);
  assert.is((await d.rnx(['--node', 'viewer', 'network', 'list'])).code, 0);
});

test('networks survive restarts; after kill -9 nothing is leaked or doubled; remove takes everything away', async () => {
  for (const id of servers) await d.rnx(['stop', id]);
  servers.length = 0;
  const netC = `10.251.${Math.floor(Math.random() * 256)}.0/24`;
  const c = await d.rnx(['network', 'create', 'net-c', `--cidr=${netC}`]);
  assert.is(c.code, 0, c.stderr);
  const clean = await footprint(d.instance);
  const sleeper = await d.run(['--network=net-c', 'sleep', '300']);
  const during = await footprint(d.instance);
  assert.is(during.netns.filter((n) => n.endsWith(sleeper)).length, 1);
  await d.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  const crashed = await footprint(d.instance);
  assert.is(crashed.netns.filter((n) => n.endsWith(sleeper)).length, 1, 'the crash should leave the namespace for start-up to clean');
  await d.serve();
  const after = await footprint(d.instance);
  assert.equal(after, clean, 'after kill -9 and a restart the host must look as before the job');
  const list = JSON.parse((await d.rnx(['network', 'list', '--json'])).stdout) as { name: string; jobs: number }[];
  assert.equal(list.map((n) => n.name), ['none', 'isolated', 'bridge', 'net-a', 'net-b', 'net-c']);
  assert.ok(list.every((n) => n.jobs === 0));
  assert.is((await d.waitDone(sleeper)).status, 'FAILED');
  const res = await probe('net-c', [`${OUT_IP}:8080`]);
  ok(res, `${OUT_IP}:8080`, 'net-c after the restart');

  // A clean stop removes our interfaces and table; the next start brings back the same.
  await d.stop('SIGTERM');
  assert.equal(await footprint(d.instance, true), { links: [], netns: [], table: '' });
  await d.serve();
  assert.equal(await footprint(d.instance), clean);

  const bridgeOfC = clean.links.find((l) => l.endsWith('/net/net-c'))!.split(' ')[0]!;
  const rm = await d.rnx(['network', 'remove', 'net-c']);
  assert.is(rm.code, 0, rm.stderr);
  assert.is(rm.stdout, "Network 'net-c' removed\n");
  const gone = await footprint(d.instance);
  assert.not.ok(gone.links.some((l) => l.includes(bridgeOfC)));
  assert.not.ok(gone.table.includes(bridgeOfC), 'the firewall still names the removed network');
  assert.not.ok(gone.table.includes(netC));
  const r = await d.rnx(['run', '--network=net-c', 'true']);
  assert.match(r.stderr, /network 'net-c' not found/);
});

test('a stopped daemon leaves no interface, namespace or firewall table behind', async () => {
  await d.stop('SIGTERM');
  assert.equal(await footprint(d.instance, true), { links: [], netns: [], table: '' }, 'prepared attachments included');
  await d.serve(); // for test.after
});

test.run();
