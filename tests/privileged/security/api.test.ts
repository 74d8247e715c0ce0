/**
 * The API with absurd input: limits that are negative, huge, zero, NaN or past int64, malformed
 * core lists and durations, too many arguments or variables, bad work dirs, hostile network and
 * volume names, and CIDRs that would capture host or loopback traffic. Each is refused with a
 * message naming the field, creates nothing, and the daemon keeps serving. (Certificates, roles,
 * oversized messages and NUL bytes: tests/integration/auth.test.ts.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Channel } from 'nice-grpc';
import { Status, allRpcs, callRpc, nodePems, openChannel, show, type Rpc } from '../../helpers/grpc';
import { TestDaemon, requireRoot } from './helpers';

const it = requireRoot() ? test : test.skip;

let d: TestDaemon;
let admin: Channel;

const rpc = (name: string): Rpc => allRpcs().find((r) => r.name === name)!;

/** Number of jobs the daemon knows. */
async function jobCount(): Promise<number> {
  const o = await callRpc(admin, rpc('ListJobs'));
  assert.is(o.code, Status.OK, show(o));
  return (o.response as { jobs: unknown[] }).jobs.length;
}

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start();
  admin = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
});
test.after(async () => {
  admin?.close();
  await d?.destroy();
});

it('rnx refuses absurd limits before sending anything: exit 1, one line naming the flag', async () => {
  const cases: Array<[string, RegExp]> = [
    ['--max-memory=999999999', /^rnx: --max-memory: 999999999 is out of range; allowed: \d+-\d+ MB\n$/],
    ['--max-cpu=0', /^rnx: --max-cpu: 0 is out of range; allowed: 1-\d+ percent of one core\n$/],
    ['--max-cpu=NaN', /^rnx: --max-cpu: 'NaN' is not a whole number/],
    ['--max-pids=-1', /^rnx: --max-pids: '-1' is not a whole number/],
    ['--max-pids=1e3', /^rnx: --max-pids: '1e3' is not a whole number/],
    ['--max-disk=1e30', /^rnx: --max-disk: '1e30' is not a size/],
    ['--max-iobps=0x10', /^rnx: --max-iobps: '0x10' is not a whole number/],
    ['--timeout=NaN', /^rnx: --timeout: 'NaN' is not a duration/],
    ['--timeout=-1s', /^rnx: --timeout: '-1s' is not a duration/],
    ['--cpu-cores=3-1', /^rnx: --cpu-cores: range '3-1' goes backwards/],
  ];
  const before = await jobCount();
  for (const [flag, message] of cases) {
    const r = await d.rnx(['run', flag, 'true']);
    assert.is(r.code, 1, `${flag}: exit ${r.code}`);
    assert.match(r.stderr, message, `${flag}: ${r.stderr}`);
    assert.is(r.stderr.split('\n').length, 2, `${flag}: more than one line: ${r.stderr}`);
  }
  assert.is(await jobCount(), before, 'a refused run created a job');
});

it('the server refuses absurd limits sent directly over gRPC with INVALID_ARGUMENT naming the flag', async () => {
  const cases: Array<[object, RegExp]> = [
    [{ maxMemory: -1 }, /^--max-memory: -1 is negative/],
    [{ maxMemory: 2147483647 }, /^--max-memory: 2147483647 is out of range/],
    [{ maxCpu: -5 }, /^--max-cpu: -5 is negative/],
    [{ maxCpu: 2147483647 }, /^--max-cpu: 2147483647 is out of range/],
    [{ maxPids: -1 }, /^--max-pids: -1 is negative/],
    [{ maxPids: 2147483647 }, /^--max-pids: 2147483647 is out of range/],
    [{ maxIoBps: -1 }, /^--max-iobps: -1 is negative/],
    [{ maxIoBps: 1 }, /^--max-iobps: 1 is out of range/],
    [{ maxDiskBytes: -1 }, /^--max-disk: -1 is negative/],
    [{ maxDiskBytes: Number.MAX_SAFE_INTEGER }, /^--max-disk: 9007199254740991 is out of range/],
    [{ timeout: 'NaN' }, /^--timeout: 'NaN' is not a duration/],
    [{ timeout: 'Infinity' }, /^--timeout: 'Infinity' is not a duration/],
    [{ timeout: '1e400h' }, /^--timeout: '1e400h' is not a duration/],
    [{ timeout: '99999999999h' }, /^--timeout: '99999999999h' is not a duration/],
    [{ timeout: '0s' }, /^--timeout: 0s is out of range/],
    [{ cpuCores: '3-1' }, /^--cpu-cores: range '3-1' goes backwards/],
    [{ cpuCores: '99' }, /^--cpu-cores: core 99 does not exist on this server/],
    [{ cpuCores: '0,,1' }, /^--cpu-cores: '' is not a core or a range/],
    [{ cpuCores: '-1' }, /^--cpu-cores: '-1' is not a core or a range/],
    [{ cpuCores: '0'.repeat(5000) }, /^--cpu-cores: '0{64}…' is not a core or a range/],
    [{ cpuCores: '0', maxCpu: 150 }, /^--max-cpu: 150 is out of range; allowed on this server: 1-100/],
  ];
  const before = await jobCount();
  for (const [limits, message] of cases) {
    const o = await callRpc(admin, rpc('RunJob'), { request: { command: 'true', ...limits } });
    assert.is(o.code, Status.INVALID_ARGUMENT, `${JSON.stringify(limits).slice(0, 60)}: ${show(o)}`);
    assert.match(o.details, message, `${JSON.stringify(limits).slice(0, 60)}: ${o.details}`);
  }
  assert.is(await jobCount(), before, 'a refused request created a job');
});

it('an int64 limit past 2^53 (max_disk_bytes = 2^62) is INVALID_ARGUMENT naming the field, not an internal error', async () => {
  const o = await callRpc(admin, rpc('RunJob'), { request: { command: 'true', maxDiskBytes: 2 ** 62 } });
  assert.is(o.code, Status.INVALID_ARGUMENT, show(o));
  assert.match(o.details, /max.disk/);
});

it('too many arguments or variables, bad names, work dirs and unknown networks or volumes are refused by name', async () => {
  const cases: Array<[object, Status, RegExp]> = [
    [{ args: Array(4097).fill('a') }, Status.INVALID_ARGUMENT, /^too many arguments \(4097\); at most 4096$/],
    [{ args: ['x'.repeat(1 << 20)] }, Status.INVALID_ARGUMENT, /^args\[0\] is too long|^command and arguments are \d+ bytes/],
    [{ environment: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`V${i}`, 'x'])) }, Status.INVALID_ARGUMENT, /^too many environment variables \(1025\)/],
    [{ environment: { 'A=B': 'x' } }, Status.INVALID_ARGUMENT, /^environment variable name 'A=B' is invalid/],
    [{ environment: { 'LD_PRELOAD\n': 'x' } }, Status.INVALID_ARGUMENT, /^environment variable name 'LD_PRELOAD\?' is invalid/],
    [{ environment: { JOB_ID: 'forged' } }, Status.INVALID_ARGUMENT, /^environment variable JOB_ID is set by joblet and cannot be overridden$/],
    [{ workDir: '/work/../etc' }, Status.INVALID_ARGUMENT, /^work_dir '\/work\/\.\.\/etc' must be an absolute, normalized path/],
    [{ workDir: 'work' }, Status.INVALID_ARGUMENT, /^work_dir 'work' must be an absolute, normalized path/],
    [{ network: '../../etc' }, Status.NOT_FOUND, /^network '\.\.\/\.\.\/etc' not found \(see 'rnx network list'\)/],
    [{ network: 'n'.repeat(100) }, Status.INVALID_ARGUMENT, /^network is too long \(100 characters; at most 64\)/],
    [{ volumes: ['../x'] }, Status.INVALID_ARGUMENT, /^invalid volume name '\.\.\/x': /],
  ];
  const before = await jobCount();
  for (const [req, code, message] of cases) {
    const o = await callRpc(admin, rpc('RunJob'), { request: { command: 'true', ...req } });
    const what = JSON.stringify(req).slice(0, 60);
    assert.is(o.code, code, `${what}: ${show(o)}`);
    assert.match(o.details, message, `${what}: ${o.details}`);
  }
  assert.is(await jobCount(), before, 'a refused request created a job');
});

it('networks whose CIDR would capture loopback, metadata or host routes, or that smuggle shell text, are refused', async () => {
  const cases: Array<[string, RegExp]> = [
    ['127.0.0.0/8', /overlaps loopback/],
    ['169.254.0.0/16', /overlaps link-local/],
    ['0.0.0.0/0', /is too large/],
    ['300.1.1.1/24', /is not an IPv4 block/],
    ['10.0.0.0/33', /is not an IPv4 block/],
    ['10.9.0.0/16; nft flush ruleset', /is not an IPv4 block/],
    ['10.1.2.3/31', /has host bits set/],
  ];
  // The subnet of the host's uplink (the interface of its default route) may not be taken over either.
  const uplink = fs.readFileSync('/proc/net/route', 'utf8').split('\n').map((l) => l.split('\t')).find((f) => f[1] === '00000000')?.[0];
  const addr = uplink ? os.networkInterfaces()[uplink]?.find((a) => a.family === 'IPv4') : undefined;
  assert.ok(addr, 'the host has an IPv4 uplink');
  const [ip, bits] = addr!.cidr!.split('/') as [string, string];
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const net = ((ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0) & mask) >>> 0;
  cases.push([`${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`, /overlaps the host's route/]);
  for (const [cidr, message] of cases) {
    const o = await callRpc(admin, rpc('CreateNetwork'), { request: { name: 'secprobe', cidr } });
    if (o.code === Status.OK) await callRpc(admin, rpc('RemoveNetwork'), { request: { name: 'secprobe' } });
    assert.is(o.code, Status.INVALID_ARGUMENT, `${cidr}: ${show(o)}`);
    assert.match(o.details, message, `${cidr}: ${o.details}`);
  }
  for (const name of ['../x', 'bridge', 'x\0y', '-rf', 'n'.repeat(100)]) {
    const o = await callRpc(admin, rpc('CreateNetwork'), { request: { name, cidr: '10.250.0.0/24' } });
    if (o.code === Status.OK) await callRpc(admin, rpc('RemoveNetwork'), { request: { name } });
    assert.is(o.code, Status.INVALID_ARGUMENT, `${JSON.stringify(name.slice(0, 20))}: ${show(o)}`);
  }
});

it('after all of it the daemon still runs jobs', async () => {
  const r = await d.rnx(['run', '--wait', 'echo', 'still-serving']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'still-serving\n');
});

test.run();
