// test:serial — builds root filesystems (dpkg, the shared apt cache): heavy, and alone with the cache.
/**
 * Runtimes built for real and used by jobs, on one daemon that installs python-3.11 and
 * python-3.11-ml once (the later tests share them; packages come from the host's archive through
 * the shared apt cache): progress as the user sees it, numpy and pandas in a job, the host's /usr
 * invisible, the runtime read-only and shared, its environment, a remove refused while a job uses
 * it, a user runtime whose hook tries to write outside its root, and packages the archive lacks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'nice-grpc';
import { JobServiceDefinition, RuntimeServiceDefinition, type JobServiceClient, type RuntimeServiceClient } from '../../../src/gen/joblet';
import { nodePems, openChannel } from '../../helpers/grpc';
import { INSTALL_TIMEOUT_MS, TestDaemon, hostOnlyFile, install, json, requireRoot, staged, waitFor } from './helpers';

const privileged = requireRoot('the runtime tests');
let d: TestDaemon;
const rnx = (args: string[], timeoutMs = 120_000) => d.rnx(args, { timeoutMs });
const runtimesDir = () => path.join(d.stateDir, 'runtimes');

test.before(async () => {
  if (!privileged) return;
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

test('install python:3.11: phases and packages stream, then it is installed with a manifest', async () => {
  if (!privileged) return;
  const r = await install(d, 'python:3.11');
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  for (const phase of ['[1/9] Validate: python-3.11 1.0.0', '[2/9] Detect platform: ', '[5/9] Resolve packages: ', '[7/9] Customize: nothing to customize', '[8/9] Finalize: ']) {
    assert.ok(out.includes(phase), `${phase} in:\n${out}`);
  }
  assert.match(out, /^\[6\/9\] Install packages: setting up \S+ \S+ \(\d+\/\d+ set up\)$/m);
  assert.match(out, new RegExp(`^\\[9/9\\] Install into place: ${runtimesDir()}/python-3\\.11/1\\.0\\.0$`, 'm'));
  assert.match(out, /^Runtime python-3\.11 1\.0\.0 installed in \S+: \S+MB at /m);
  const manifest = fs.readFileSync(path.join(runtimesDir(), 'python-3.11/1.0.0/runtime.yml'), 'utf8');
  assert.match(manifest, /^name: python-3\.11$/m);
  assert.match(manifest, /^languageVersion: 3\.11\.\d+$/m);
  assert.match(manifest, /^ {2}- name: python3\.11\n {4}version: 3\.11\.\S+$/m);
  assert.match(manifest, /^ {4}- http:\/\/\S+ \S+/m, 'the archive it was built from');
  const rt = json<Array<Record<string, any>>>(await rnx(['runtime', 'list', '--json'])).find((x) => x.name === 'python-3.11')!;
  assert.is(rt.status, 'installed');
  assert.ok(rt.packageCount > 50, `${rt.packageCount} packages`);
  assert.ok(rt.sizeBytes > 50 * 1024 * 1024, `${rt.sizeBytes} bytes`);
  assert.is(fs.statSync(path.join(runtimesDir(), 'python-3.11/1.0.0/rootfs/usr/bin/python3.11')).uid, 0, 'files belong to root again');
  assert.equal(staged(runtimesDir()), [], 'the staging directory is empty');
});

test('a second install of a runtime being installed is refused; the first one finishes (python:3.11-ml, on python-3.11)', async () => {
  if (!privileged) return;
  const child = spawn(d.rnxBinary, ['--config', d.rnxConfig, 'runtime', 'install', 'python:3.11-ml', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
  try {
    await waitFor('the first install to start', () => out.includes('"type":"phase"'), 120_000);
    const again = await rnx(['runtime', 'install', 'python-3.11-ml']);
    assert.is(again.code, 1);
    assert.match(again.stderr, /^rnx: runtime python-3\.11-ml is already being installed \(started .*\); wait for that install to finish$/m);
    const installed = await rnx(['runtime', 'install', 'python:3.11']);
    assert.is(installed.code, 1);
    assert.match(installed.stderr, /runtime python-3\.11 1\.0\.0 is already installed \(.*\); add --force to build it again/);
    assert.is(await exited, 0, `${out.slice(-3000)}\n${err}`);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
  const events = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  assert.match(events[0]!.message, /on the installed python-3\.11 1\.0\.0/);
  assert.ok(events.some((e) => e.type === 'phase' && e.phaseName === 'Install packages' && e.currentPackage && e.packagesTotal > 0), 'the current package is reported');
  assert.ok(events.some((e) => e.type === 'log'), 'the log is streamed');
  const result = events[events.length - 1]!;
  assert.is(result.type, 'result');
  assert.is(result.success, true, JSON.stringify(result));
  assert.is(result.runtimeName, 'python-3.11-ml');
});

test('a job imports numpy and pandas from python:3.11-ml, the versions of its manifest', async () => {
  if (!privileged) return;
  const info = json<Record<string, any>>(await rnx(['runtime', 'info', 'python:3.11-ml', '--json']));
  const version = (p: string) => (info.installedPackages as Array<{ name: string; version: string }>).find((x) => x.name === p)!.version.replace(/^\d+:/, '').replace(/[-+].*$/, '');
  const r = await rnx(['run', '--wait', '--runtime=python:3.11-ml', 'python3', '-c', 'import numpy, pandas; print(numpy.__version__, pandas.__version__)']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${version('python3-numpy')} ${version('python3-pandas')}\n`);
});

test('the job never sees the host\'s /usr: a file only the host has is absent', async () => {
  if (!privileged) return;
  const marker = hostOnlyFile();
  try {
    const probe = `for f in ${marker.path} /usr/bin/mmdebstrap; do if [ -e "$f" ]; then echo "$f visible"; else echo "$f absent"; fi; done`;
    const host = await rnx(['run', '--wait', 'sh', '-c', probe]);
    assert.is(host.stdout, `${marker.path} visible\n/usr/bin/mmdebstrap visible\n`, 'without a runtime the host\'s /usr is there (control)');
    const rt = await rnx(['run', '--wait', '--runtime=python:3.11', 'sh', '-c', probe]);
    assert.is(rt.code, 0, rt.stderr);
    assert.is(rt.stdout, `${marker.path} absent\n/usr/bin/mmdebstrap absent\n`);
  } finally {
    marker.remove();
  }
});

test('the runtime is read-only, nosuid and nodev inside the job; /etc stays synthesized', async () => {
  if (!privileged) return;
  const script = [
    'touch /usr/bin/intruder 2>&1 | sed "s/.*: //"',
    'touch /etc/python3.11/intruder 2>&1 | sed "s/.*: //"',
    'awk \'$5 == "/usr" { print $6 }\' /proc/self/mountinfo',
    'grep -c "^job:x:65534:" /etc/passwd',
    'test -r /etc/python3.11/sitecustomize.py && echo runtime-etc-readable',
  ].join('; ');
  const r = await rnx(['run', '--wait', '--runtime=python:3.11', 'sh', '-c', script]);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines[0], 'Read-only file system');
  assert.is(lines[1], 'Read-only file system');
  for (const opt of ['ro', 'nosuid', 'nodev']) assert.ok(lines[2]!.split(',').includes(opt), `${opt} in ${lines[2]}`);
  assert.is(lines[3], '1', 'the job user is in the synthesized /etc/passwd');
  assert.is(lines[4], 'runtime-etc-readable');
});

test('two jobs share one copy of the runtime; a remove is refused while they run', async () => {
  if (!privileged) return;
  const host = fs.statSync(path.join(runtimesDir(), 'python-3.11-ml/1.0.0/rootfs/usr/bin/python3.11'));
  const ids = [
    await d.run(['--runtime=python:3.11-ml', 'sh', '-c', 'stat -c %d:%i /usr/bin/python3.11; sleep 600']),
    await d.run(['--runtime=python-3.11-ml', 'sh', '-c', 'stat -c %d:%i /usr/bin/python3.11; sleep 600']),
  ];
  try {
    for (const id of ids) {
      const stored = async () => (await rnx(['log', '--no-follow', id])).stdout;
      await waitFor(`output of job ${id}`, async () => (await stored()).length > 0);
      assert.is(await stored(), `${host.dev}:${host.ino}\n`, 'the job sees the very file of the installed runtime');
      // Nothing of the runtime was copied for the job: its directory holds only its own root and /work.
      const jobDir = path.join(d.stateDir, 'run', id);
      assert.not.ok(fs.existsSync(path.join(jobDir, 'work', 'usr')));
    }
    const rm = await rnx(['runtime', 'remove', 'python:3.11-ml']);
    assert.is(rm.code, 1);
    assert.match(rm.stderr, new RegExp(`^rnx: runtime python-3\\.11-ml 1\\.0\\.0 is in use by 2 running jobs \\((${ids[0]!.slice(0, 8)}|${ids[1]!.slice(0, 8)}), .*\\) and cannot be removed; stop them or wait for them to finish$`, 'm'));
    const list = json<Array<Record<string, any>>>(await rnx(['runtime', 'list', '--json']));
    assert.is(list.find((x) => x.name === 'python-3.11-ml')!.jobs, 2);
    const st = json(await rnx(['status', '--json', ids[0]!]));
    assert.is(st.runtime, 'python-3.11-ml@1.0.0');
    assert.match((await rnx(['status', ids[0]!])).stdout, /^Runtime:\s+python-3\.11-ml@1\.0\.0$/m);
  } finally {
    for (const id of ids) await rnx(['stop', id]);
  }
  assert.ok(fs.existsSync(path.join(runtimesDir(), 'python-3.11-ml/1.0.0/rootfs/usr/bin/python3.11')), 'still installed');
});

test('the runtime\'s environment comes before --env, which overrides it', async () => {
  if (!privileged) return;
  const r = await rnx(['run', '--wait', '--runtime=python:3.11-ml', '--env', 'PYTHONUNBUFFERED=0', 'sh', '-c', 'echo $MPLBACKEND $PYTHONUNBUFFERED $JOB_ID']);
  assert.match(r.stdout, /^Agg 0 [0-9a-f-]{36}\n$/);
});

test('rnx runtime test runs the smoke test in a job: numpy and pandas versions', async () => {
  if (!privileged) return;
  const r = await rnx(['runtime', 'test', 'python:3.11-ml']);
  assert.is(r.code, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /^Testing runtime: python:3\.11-ml \(job [0-9a-f-]{36}\)\nnumpy \d+\.\d+\.\d+\npandas \d+\.\d+\.\d+\n✓ Runtime test passed\n$/);
});

test('through the wire: GetRuntimeInfo has every package and the build; RunJob takes an alias', async () => {
  if (!privileged) return;
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  try {
    const runtimes: RuntimeServiceClient = createClient(RuntimeServiceDefinition, ch);
    const info = await runtimes.getRuntimeInfo({ runtime: 'python:3.11-ml' });
    assert.ok(info.found);
    const r = info.runtime!;
    assert.is(r.available, true);
    assert.is(r.status, 'installed');
    assert.ok(r.installedPackages.length > 100);
    assert.ok(r.packages.some((p) => /^python3-pandas=\S+$/.test(p)));
    assert.match(r.buildInfo!.builtWith, /^apt on python-3\.11@1\.0\.0$/);
    assert.ok(r.buildInfo!.archive.length > 0);
    const jobs: JobServiceClient = createClient(JobServiceDefinition, ch);
    const res = await jobs.runJob({ command: 'python3', args: ['-c', 'import scipy, sklearn, matplotlib; print("ok")'], runtime: 'python:3.11-ml', network: 'none' });
    let out = '';
    for await (const c of jobs.getJobLogs({ uuid: res.jobUuid, noFollow: false })) out += c.payload.toString();
    assert.is(out, 'ok\n');
    assert.is((await jobs.getJobStatus({ uuid: res.jobUuid })).runtime, 'python-3.11-ml@1.0.0');
  } finally {
    ch.close();
  }
});

test('a user runtime\'s hook cannot write outside its root; what it writes inside stays in the runtime', async () => {
  if (!privileged) return;
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-hostile-'));
  fs.chmodSync(outside, 0o777); // anything that got out could write here
  const hook = [
    'echo "hook ran as $(id -u)"',
    'echo inside > /usr/local/share/hook-was-here',
    `T=${outside}`,
    'for p in "$T/direct" "/proc/1/root$T/proc-root" "/proc/self/root$T/self-root" "/work/../$T/work"; do (echo x > "$p") 2>/dev/null && echo "wrote $p"; done',
    // The classic chroot escape (root may chroot): it lands in the build sandbox, not on the host.
    `perl -e 'mkdir "esc"; chroot "esc"; chdir ".." for 1..64; chroot "."; opendir(my $d, "/"); print "escaped to: ", join(" ", sort grep { !/^\\./ } readdir $d), "\\n"; for my $p ("${outside}/escaped", "/escaped-root", "${d.stateDir}/escaped") { print(open(my $f, ">", $p) ? "escape wrote $p\\n" : "escape could not write $p\\n"); }'`,
    'rmdir esc 2>/dev/null || true',
  ].join('\n');
  const yaml = `schema_version: "1.0"\nname: hostile-hook\nversion: 1.0.0\ndescription: tries to get out\nbase:\n  language: python\n  version: "3.11"\nhooks:\n  post_install: |\n${hook.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
  const file = path.join(d.dir, 'hostile.yaml');
  fs.writeFileSync(file, yaml);
  try {
    const r = await d.rnx(['runtime', 'build', '--verbose', file], { timeoutMs: INSTALL_TIMEOUT_MS });
    assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /hook ran as 0/);
    // The escape worked as far as it can: out of the chroot into the build's sandbox (its /work is there).
    assert.match(r.stdout, /escaped to: .*\bwork\b/);
    assert.not.match(r.stdout, /escape wrote|^ *wrote /m);
    assert.is(r.stdout.match(/escape could not write/g)?.length, 3);
    assert.equal(fs.readdirSync(outside), [], `nothing appeared in ${outside}:\n${r.stdout}`);
    assert.not.ok(fs.existsSync('/escaped-root'));
    assert.not.ok(fs.existsSync(path.join(d.stateDir, 'escaped')));
    const job = await rnx(['run', '--wait', '--runtime=hostile-hook', 'cat', '/usr/local/share/hook-was-here']);
    assert.is(job.stdout, 'inside\n', 'the hook ran inside the runtime');
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
    fs.rmSync('/escaped-root', { force: true });
  }
});

test('a package the archive does not have is named, and the failed build leaves nothing behind', async () => {
  if (!privileged) return;
  const file = path.join(d.dir, 'missing.yaml');
  fs.writeFileSync(file, 'schema_version: "1.0"\nname: missing-pkg\nversion: 1.0.0\ndescription: x\nbase: {language: python, version: "3.11"}\npackages: [joblet-no-such-package]\n');
  const r = await d.rnx(['runtime', 'build', file], { timeoutMs: INSTALL_TIMEOUT_MS });
  assert.is(r.code, 1);
  assert.match(r.stderr, /^rnx: runtime missing-pkg cannot be built from the archive \(.*\): package 'joblet-no-such-package' \(not in the archive\)$/m);
  // Debian 12's archive has no OpenJDK 21 (Debian 13 and Ubuntu 24.04 have it: there it would install).
  if (fs.readFileSync('/etc/os-release', 'utf8').includes('VERSION_CODENAME=bookworm')) {
    const java = await install(d, 'java:21');
    assert.is(java.code, 1);
    assert.match(java.stderr, /runtime openjdk-21 cannot be built from the archive \(.*\): package 'openjdk-21-jdk-headless' \(not in the archive\)/);
  }
  assert.not.ok(fs.existsSync(path.join(runtimesDir(), 'missing-pkg')));
  assert.equal(staged(runtimesDir()), []);
  assert.not.ok((await rnx(['runtime', 'list'])).stdout.includes('missing-pkg'));
});

test('remove frees the space and the runtime can no longer be used', async () => {
  if (!privileged) return;
  const id = await d.run(['--runtime=python:3.11', 'sleep', '600']);
  const refused = await rnx(['runtime', 'remove', 'python-3.11']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`in use by 1 running job \\(${id.slice(0, 8)}\\)`));
  await rnx(['stop', id]);
  await d.waitDone(id);
  const r = await rnx(['runtime', 'remove', 'python-3.11']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Removed python-3\.11@1\.0\.0; freed \d+(\.\d)?MB$/m);
  assert.not.ok(fs.existsSync(path.join(runtimesDir(), 'python-3.11')));
  const after = await rnx(['run', '--runtime=python:3.11', 'true']);
  assert.is(after.code, 1);
  assert.match(after.stderr, /runtime 'python:3\.11' \(python-3\.11\) is not installed \(installed: hostile-hook@1\.0\.0, python-3\.11-ml@1\.0\.0\); install it with 'rnx runtime install python-3\.11'/);
  assert.is(json<Array<Record<string, any>>>(await rnx(['runtime', 'list', '--json'])).find((x) => x.name === 'python-3.11')!.status, 'available');
});

test.run();
