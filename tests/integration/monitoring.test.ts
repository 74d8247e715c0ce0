/**
 * Host monitoring against a real daemon: GetSystemStatus (the SDK's health_check needs
 * `available: true`), values that match the host, StreamSystemMetrics intervals and filters, bad
 * requests refused, `rnx monitor status|top|watch`, and who may read it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as yaml from 'js-yaml';
import { ClientError, createClient, Status, type Channel } from 'nice-grpc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MonitoringServiceDefinition, type MonitoringServiceClient, type StreamMetricsRequest, type SystemMetricsResponse } from '../../src/gen/joblet';
import { generateCa, issueClientCert, issueServerCert } from '../../src/shared/certs';
import { TestDaemon } from '../helpers/daemon';
import { nodePems, openChannel, type Pems } from '../helpers/grpc';

let d: TestDaemon;
const channels: Channel[] = [];

function monitoring(pems: Pems, daemon = d): MonitoringServiceClient {
  const ch = openChannel(`127.0.0.1:${daemon.port}`, pems);
  channels.push(ch);
  return createClient(MonitoringServiceDefinition, ch);
}
const admin = () => monitoring(nodePems(d.rnxConfig, 'default'));

test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  for (const ch of channels) ch.close();
  await d?.destroy();
});

const memTotal = () => Number(/^MemTotal:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
const nproc = () => Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
const REAL_FS = /^(ext[234]|xfs|btrfs|zfs|f2fs|vfat|exfat|ntfs3?|fuseblk|jfs|reiserfs|bcachefs|hfsplus|udf|iso9660|nilfs2)$/;

test('rnx monitor status --json: available, and the numbers are the host\'s own', async () => {
  const r = await d.rnx(['monitor', 'status', '--json']);
  assert.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.is(s.available, true);
  assert.is(s.memory.totalBytes, memTotal());
  assert.is(s.host.totalMemory, memTotal());
  assert.is(s.cpu.cores, nproc());
  assert.is(s.host.cpuCount, nproc());
  assert.is(s.cpu.perCoreUsage.length, nproc());
  assert.is(s.cpu.loadAverage.length, 3);
  assert.ok(s.cpu.usagePercent >= 0 && s.cpu.usagePercent <= 100);
  assert.is(s.host.hostname, os.hostname());
  assert.is(s.host.kernelVersion, os.release());
  const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]);
  assert.is(Date.parse(s.host.bootTime) / 1000, btime);
  assert.ok(Math.abs(s.host.uptime - os.uptime()) < 30, `uptime ${s.host.uptime} vs ${os.uptime()}`);
  assert.match(s.host.nodeId, /^[0-9a-f-]{36}$/);
  assert.ok(s.disks.some((x: { mountPoint: string }) => x.mountPoint === '/'), 'the root filesystem is listed');
  for (const disk of s.disks) {
    assert.match(disk.filesystem, REAL_FS, `${disk.mountPoint} is ${disk.filesystem}`);
    assert.ok(disk.totalBytes > 0 && disk.inodesTotal >= 0);
  }
  const lo = s.networks.find((n: { interface: string }) => n.interface === 'lo');
  assert.ok(lo && lo.ipAddresses.includes('127.0.0.1'));
  assert.ok(s.processes.totalProcesses > 0 && s.processes.totalThreads >= s.processes.totalProcesses);
  assert.ok(s.processes.topByCpu.length > 0 && s.processes.topByCpu.length <= 10);
  const mem = s.processes.topByMemory.map((p: { memoryBytes: number }) => p.memoryBytes);
  assert.equal(mem, [...mem].sort((a: number, b: number) => b - a), 'top by memory is sorted');
  assert.ok(s.processes.topByMemory.some((p: { command: string }) => p.command.includes('joblet serve')), 'the daemon itself is among the biggest processes');
  assert.ok(s.io.diskIo.length > 0);
  assert.is(typeof s.cloud.hypervisorType, 'string');
  assert.match(s.serverVersion.version, /^\d+\.\d+\.\d+/);
  assert.ok((await d.rnx(['--version'])).stdout.includes(`rnx ${s.serverVersion.version} `), 'the client and server are one build');
});

test('rnx monitor status: every section, in aligned text', async () => {
  const r = await d.rnx(['monitor', 'status']);
  assert.is(r.code, 0, r.stderr);
  for (const heading of ['System Status - ', 'Available: yes', 'Host Information:', 'Joblet Server:', 'CPU:', 'Memory:', 'Disks:', 'Network Interfaces:', 'Disk I/O:', 'Processes:', 'Cloud Environment:']) {
    assert.ok(r.stdout.includes(heading), `missing ${heading}`);
  }
  assert.match(r.stdout, new RegExp(`^  Cores: +${nproc()}$`, 'm'));
});

test('the SDK health check: GetSystemStatus over the wire answers available: true', async () => {
  const s = await admin().getSystemStatus({});
  assert.is(s.available, true);
  assert.is(s.memory?.totalBytes, memTotal());
});

/** Messages of a StreamSystemMetrics call with their arrival times (ms after the call). */
async function stream(req: StreamMetricsRequest, count: number): Promise<{ at: number; m: SystemMetricsResponse }[]> {
  const out: { at: number; m: SystemMetricsResponse }[] = [];
  const ac = new AbortController();
  const t0 = performance.now();
  for await (const m of admin().streamSystemMetrics(req, { signal: ac.signal })) {
    out.push({ at: performance.now() - t0, m });
    if (out.length === count) break;
  }
  return out;
}

test('StreamSystemMetrics: the first sample at once, then one per interval (±20%)', async () => {
  const got = await stream({ intervalSeconds: 2, metricTypes: ['cpu'] }, 5);
  assert.ok(got[0]!.at < 2000, `first sample after ${got[0]!.at.toFixed(0)} ms: it must not wait an interval`);
  for (let i = 1; i < got.length; i++) {
    const gap = got[i]!.at - got[i - 1]!.at;
    assert.ok(gap >= 1600 && gap <= 2400, `gap ${i}: ${gap.toFixed(0)} ms for a 2 s interval`);
  }
});

test('StreamSystemMetrics: metricTypes keeps only the asked sections; none asked means all', async () => {
  const [{ m: cpuOnly }] = await stream({ intervalSeconds: 1, metricTypes: ['cpu'] }, 1);
  assert.ok(cpuOnly.cpu && cpuOnly.host);
  assert.is(cpuOnly.memory, undefined);
  assert.is(cpuOnly.io, undefined);
  assert.is(cpuOnly.processes, undefined);
  assert.equal([cpuOnly.disks, cpuOnly.networks], [[], []]);
  const [{ m: two }] = await stream({ intervalSeconds: 1, metricTypes: ['memory', 'process'] }, 1);
  assert.ok(two.memory && two.processes);
  assert.is(two.cpu, undefined);
  const [{ m: all }] = await stream({ intervalSeconds: 0, metricTypes: [] }, 1);
  assert.ok(all.cpu && all.memory && all.io && all.processes && all.disks.length && all.networks.length);
});

test('bad intervals and unknown metric types are INVALID_ARGUMENT', async () => {
  const bad: [StreamMetricsRequest, RegExp][] = [
    [{ intervalSeconds: -1, metricTypes: [] }, /interval_seconds must be 1-3600 \(0 means the default, 5\); got -1/],
    [{ intervalSeconds: 3601, metricTypes: [] }, /got 3601/],
    [{ intervalSeconds: 1, metricTypes: ['cpu', 'gpu'] }, /unknown metric type 'gpu'/],
  ];
  for (const [req, want] of bad) {
    try {
      await stream(req, 1);
      assert.unreachable(`accepted ${JSON.stringify(req)}`);
    } catch (err) {
      assert.instance(err, ClientError);
      assert.is((err as ClientError).code, Status.INVALID_ARGUMENT);
      assert.match((err as ClientError).details, want);
    }
  }
  const cli = await d.rnx(['monitor', 'watch', '--interval=0']);
  assert.is(cli.code, 1);
  assert.match(cli.stderr, /--interval: 0 is out of range; allowed: 1-3600 seconds/);
  const filter = await d.rnx(['monitor', 'top', '--filter=cpu,disks']);
  assert.is(filter.code, 1);
  assert.match(filter.stderr, /--filter: unknown metric type 'disks'/);
});

test('rnx monitor top: condensed view; --filter shows and fetches only what it names', async () => {
  const all = await d.rnx(['monitor', 'top']);
  assert.is(all.code, 0, all.stderr);
  for (const line of [/^CPU: /m, /^Memory: /m, /^Disks: /m, /^Disk I\/O: /m, /^Processes: /m, /^INTERFACE /m, /^Top processes by CPU:$/m, /^PID +NAME +CPU% +MEM% +MEMORY +COMMAND$/m]) assert.match(all.stdout, line);
  const cpu = await d.rnx(['monitor', 'top', '--filter=cpu']);
  assert.match(cpu.stdout, /^CPU: /m);
  assert.not.match(cpu.stdout, /^(Memory|Disks|Processes): |Top processes/m);
  const json = JSON.parse((await d.rnx(['monitor', 'top', '--filter', 'memory,process', '--json'])).stdout);
  assert.equal(Object.keys(json).sort(), ['cloud', 'host', 'memory', 'processes', 'timestamp']);
});

test('rnx monitor watch, piped: one line per sample at the interval; --json: one object per line', async () => {
  const lines = await watchLines(['monitor', 'watch', '--interval=1', '--filter=cpu,memory'], 3);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z \| cpu [\d.]+% load [\d.]+ \| mem [\d.]+% \(/);
  const json = await watchLines(['monitor', 'watch', '--interval=1', '--json', '--filter=io'], 2);
  for (const l of json) assert.equal(Object.keys(JSON.parse(l)).sort(), ['cloud', 'host', 'io', 'timestamp']);
});

test('rnx monitor watch on a terminal redraws the view in place; --compact rewrites one line', async () => {
  const { exec } = await import('../helpers/daemon');
  // script(1) gives rnx a pseudo-terminal; SIGINT after a few samples is the user's Ctrl+C.
  const run = (extra: string) =>
    exec('timeout', ['-s', 'INT', '4.5', 'script', '-qfec', `${d.rnxBinary} --config ${d.rnxConfig} monitor watch --interval=1 ${extra}`, '/dev/null'], { timeoutMs: 30000 });
  const full = (await run('--filter=cpu,process')).stdout;
  const redraws = full.split('\x1b[2J\x1b[H').length - 1;
  assert.ok(redraws >= 2, `${redraws} redraws: ${JSON.stringify(full.slice(0, 300))}`);
  assert.match(full, /System Metrics - .*\r?\nCPU: /);
  assert.match(full, /\(every 1s; Ctrl\+C to stop\)/);
  const compact = (await run('--compact --filter=memory')).stdout;
  assert.ok(compact.split('\r\x1b[K').length - 1 >= 2, JSON.stringify(compact.slice(0, 300)));
  assert.not.match(compact, /\x1b\[2J/);
});

/** Run rnx until it printed `n` lines, then stop it with SIGINT (as Ctrl+C would); it must exit 0. */
async function watchLines(args: string[], n: number): Promise<string[]> {
  const { spawn } = await import('node:child_process');
  const child = spawn(d.rnxBinary, ['--config', d.rnxConfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${n} lines in 30 s: ${out}${err}`)), 30000);
    child.stdout.on('data', (b) => {
      out += b;
      if (out.split('\n').length > n) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGINT');
  assert.is(await exited, 0, `rnx ${args.join(' ')} after Ctrl+C: ${err}`);
  return out.split('\n').filter(Boolean).slice(0, n);
}

test('viewer may read monitoring; admin too', async () => {
  const v = await d.rnx(['--node', 'viewer', 'monitor', 'status', '--json']);
  assert.is(v.code, 0, v.stderr);
  assert.is(JSON.parse(v.stdout).available, true);
  const viewer = monitoring(nodePems(d.rnxConfig, 'viewer'));
  assert.is((await viewer.getSystemStatus({})).available, true);
  for await (const m of viewer.streamSystemMetrics({ intervalSeconds: 1, metricTypes: ['cpu'] })) {
    assert.ok(m.cpu);
    break;
  }
});

test('an unknown role (OU) from the server\'s own CA is refused, and so is a certificate of a foreign CA', async () => {
  const ca = await generateCa();
  const server = await issueServerCert(ca);
  const c = await TestDaemon.start({
    configEdit: (y) => {
      const cfg = yaml.load(y) as Record<string, unknown>;
      cfg.security = { caCert: ca.cert, serverCert: server.cert, serverKey: server.key };
      return yaml.dump(cfg);
    },
  });
  try {
    const operator = await issueClientCert(ca, 'operator');
    const op = monitoring({ ca: ca.cert, ...operator }, c);
    for (const call of [() => op.getSystemStatus({}), async () => { for await (const _ of op.streamSystemMetrics({ intervalSeconds: 1, metricTypes: [] })) break; }]) {
      try {
        await call();
        assert.unreachable('operator was served');
      } catch (err) {
        assert.is((err as ClientError).code, Status.PERMISSION_DENIED);
        assert.match((err as ClientError).details, /role 'operator' is not allowed to call (GetSystemStatus|StreamSystemMetrics)/);
      }
    }
    const foreign = await generateCa();
    const stranger = monitoring({ ca: ca.cert, ...(await issueClientCert(foreign, 'admin')) }, c);
    await stranger.getSystemStatus({}).then(
      () => assert.unreachable('a foreign CA was served'),
      (err: ClientError) => assert.is(err.code, Status.UNAVAILABLE),
    );
    const ok = monitoring({ ca: ca.cert, ...(await issueClientCert(ca, 'viewer')) }, c);
    assert.is((await ok.getSystemStatus({})).available, true);
  } finally {
    await c.destroy();
  }
});

test.run();
