/**
 * Job interfaces take the MTU of the host's route to the outside, or network.mtu. The "host" is a
 * network namespace of this test (the daemon and rnx run in it through nsenter) whose only way
 * out is a veth of MTU 1400 to a namespace "outside", as a cloud uplink of 1400 would be; the
 * real host's routes are never touched. Traffic goes only to the outside namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec } from '../helpers/daemon';
import { requireRoot, TestDaemon } from './security/helpers';

const it = requireRoot() ? test : test.skip;
const PY = '/usr/bin/python3';
const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(-6);
const HOST_NS = `jt_mtuh_${tag}`;
const OUT_NS = `jt_mtuo_${tag}`;
const x = 1 + Math.floor(Math.random() * 250);
const HOST_IP = `198.18.${x}.1`;
const OUT_IP = `198.18.${x}.2`;
const UPLINK_MTU = 1400;

let auto: TestDaemon | undefined;
let fixed: TestDaemon | undefined;
let outside: ChildProcess | undefined;
let received = '';

async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await exec(cmd, args, { input });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const inHost = ['nsenter', `--net=/run/netns/${HOST_NS}`];

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  await sh('ip', ['netns', 'add', HOST_NS]);
  await sh('ip', ['netns', 'add', OUT_NS]);
  await sh('ip', ['-n', HOST_NS, '-batch', '-'], [
    'link set lo up',
    `link add up0 mtu ${UPLINK_MTU} type veth peer name eth0 mtu ${UPLINK_MTU} netns ${OUT_NS}`,
    `addr add ${HOST_IP}/24 dev up0`,
    'link set up0 up',
    `route add default via ${OUT_IP}`,
  ].join('\n') + '\n');
  await sh('ip', ['-n', OUT_NS, '-batch', '-'], ['link set lo up', `addr add ${OUT_IP}/24 dev eth0`, 'link set eth0 up'].join('\n') + '\n');
  // The outside: prints the size of every UDP datagram it gets.
  const py = `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('${OUT_IP}', 9999))\nprint('ready', flush=True)\nwhile True:\n    d, a = s.recvfrom(65535)\n    print('got', len(d), flush=True)\n`;
  outside = spawn('ip', ['netns', 'exec', OUT_NS, PY, '-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
  outside.stdout!.on('data', (b) => (received += b));
  await new Promise<void>((resolve, reject) => {
    outside!.stdout!.once('data', () => resolve());
    outside!.once('exit', (c) => reject(new Error(`outside server exited with ${c}`)));
  });
  auto = await TestDaemon.start({ wrap: inHost });
  fixed = await TestDaemon.start({ wrap: inHost, configEdit: (y) => y.replace(/^( {2}mtu:) \d+/m, '$1 1280') });
});

test.after(async () => {
  await auto?.destroy();
  await fixed?.destroy();
  outside?.kill('SIGKILL');
  await exec('ip', ['netns', 'del', OUT_NS]);
  await exec('ip', ['netns', 'del', HOST_NS]);
});

/** The MTU the job sees on its eth0. */
async function jobMtu(d: TestDaemon, network: string): Promise<number> {
  const r = await d.rnx(['run', '--wait', `--network=${network}`, '/usr/sbin/ip', '-o', 'link', 'show', 'dev', 'eth0']);
  assert.is(r.code, 0, r.stderr);
  return Number(/ mtu (\d+) /.exec(r.stdout)?.[1]);
}

it("jobs and bridges get the MTU of the host's route to the outside (1400), not Ethernet's 1500", async () => {
  for (const network of ['bridge', 'isolated']) assert.is(await jobMtu(auto!, network), UPLINK_MTU, network);
  assert.match(auto!.log, `MTU ${UPLINK_MTU} (the host's route to the outside (up0))`);
  // On the host side: every bridge of the daemon, and a running job's veth end.
  const id = await auto!.run(['sleep', '30']);
  const until = Date.now() + 20000;
  let ours: { ifname: string; mtu: number; ifalias?: string; linkinfo?: { info_kind?: string } }[] = [];
  for (;;) {
    const links = JSON.parse(await sh('ip', ['-n', HOST_NS, '-j', '-d', 'link', 'show'])) as typeof ours;
    ours = links.filter((l) => l.ifalias?.startsWith(`joblet/${auto!.instance}/`));
    if (ours.some((l) => l.linkinfo?.info_kind === 'veth') || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ours.filter((l) => l.linkinfo?.info_kind === 'bridge').length >= 2, JSON.stringify(ours));
  assert.ok(ours.some((l) => l.linkinfo?.info_kind === 'veth'), 'the running job has its veth');
  for (const l of ours) assert.is(l.mtu, UPLINK_MTU, `${l.ifname} (${l.ifalias})`);
  await auto!.rnx(['stop', id]);
});

it('a datagram that fits the path reaches the outside; a bigger one is refused in the job at once (EMSGSIZE), not lost', async () => {
  const payload = UPLINK_MTU - 28; // IPv4 and UDP headers
  const py = [
    'import errno, socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    's.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO: never fragment',
    `s.sendto(b'x' * ${payload}, ('${OUT_IP}', 9999))`,
    'print("sent", flush=True)',
    'try:',
    `    s.sendto(b'x' * ${payload + 1}, ('${OUT_IP}', 9999))`,
    '    print("too big: sent")',
    'except OSError as e:',
    '    print("too big:", errno.errorcode[e.errno])',
  ].join('\n');
  const r = await auto!.rnx(['run', '--wait', PY, '-c', py]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'sent\ntoo big: EMSGSIZE\n');
  const until = Date.now() + 10000;
  while (!received.includes(`got ${payload}\n`) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
  assert.match(received, `got ${payload}\n`);
  assert.not.match(received, `got ${payload + 1}\n`);
});

it('network.mtu in the config sets the MTU instead', async () => {
  assert.is(await jobMtu(fixed!, 'bridge'), 1280);
  assert.match(fixed!.log, 'MTU 1280 (network.mtu)');
});

test.run();
