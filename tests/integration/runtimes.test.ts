/**
 * Runtimes through rnx and the wire, without building one (builds are in tests/privileged/runtimes):
 * the built-ins listed as available, `--runtime` refused before any job exists, runtime.yaml
 * checked with line numbers (hostile files refused), roles, and the RuntimeInfo an older SDK reads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'nice-grpc';
import { RuntimeInfo, RuntimeServiceDefinition } from '../../src/gen/joblet';
import { TestDaemon } from '../helpers/daemon';
import { nodePems, openChannel } from '../helpers/grpc';

let d: TestDaemon;

test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

const GOOD = `schema_version: "1.0"
name: my-tools
version: 1.0.0
description: Python with requests
base:
  language: python
  version: "3.11"
packages:
  - python3-requests
hooks:
  post_install: |
    echo built > /usr/local/share/built-by-hook
`;

function yamlFile(name: string, text: string): string {
  const f = path.join(d.dir, name);
  fs.writeFileSync(f, text);
  return f;
}

test('rnx runtime list shows the built-ins as available, with aliases; --json is stable', async () => {
  const r = await d.rnx(['runtime', 'list']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^NAME\s+VERSION\s+LANGUAGE\s+SIZE\s+PACKAGES\s+STATUS$/);
  for (const name of ['python-3.11-ml', 'python-3.11', 'openjdk-17', 'openjdk-21', 'nodejs-18']) {
    assert.ok(lines.some((l) => new RegExp(`^${name.replace(/\./g, '\\.')}\\s+1\\.0\\.0\\s+\\S+ \\S+\\s+-\\s+-\\s+available$`).test(l)), `${name} in:\n${r.stdout}`);
  }
  assert.match(r.stdout, /java:17 → openjdk-17/);
  const j = await d.rnx(['runtime', 'list', '--json']);
  const list = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
  const ml = list.find((x) => x.name === 'python-3.11-ml')!;
  assert.equal(Object.keys(ml).sort(), ['aliases', 'build', 'builtin', 'description', 'environment', 'installPath', 'jobs', 'language', 'languageVersion', 'name', 'packageCount', 'packages', 'problem', 'sizeBytes', 'status', 'version']);
  assert.is(ml.status, 'available');
  assert.equal(ml.aliases, ['python:3.11-ml']);
  assert.ok((ml.packages as string[]).includes('python3-pandas'));
});

test('rnx runtime info on a built-in not installed says how to install it; unknown names fail', async () => {
  const r = await d.rnx(['runtime', 'info', 'java:17']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Runtime:\s+openjdk-17$/m);
  assert.match(r.stdout, /^Status:\s+available — install it with 'rnx runtime install openjdk-17'$/m);
  assert.match(r.stdout, /^\s+openjdk-17-jdk-headless$/m);
  assert.match(r.stdout, /^\s+JAVA_HOME=\/usr\/lib\/jvm\/java-17-openjdk-/m);
  const unknown = await d.rnx(['runtime', 'info', 'ruby:3']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^rnx: runtime 'ruby:3' not found \(see 'rnx runtime list'\)$/m);
  const hostile = await d.rnx(['runtime', 'info', '../../etc']);
  assert.is(hostile.code, 1);
  assert.match(hostile.stderr, /is not a runtime name/);
});

test('--runtime naming a runtime that is not installed is refused before a job exists', async () => {
  const before = JSON.parse((await d.rnx(['list', '--json'])).stdout) as unknown[];
  const notInstalled = await d.rnx(['run', '--runtime=python:3.11-ml', 'python3', '-c', 'print(1)']);
  assert.is(notInstalled.code, 1);
  assert.match(notInstalled.stderr, /^rnx: runtime 'python:3\.11-ml' \(python-3\.11-ml\) is not installed \(no runtimes are installed\); install it with 'rnx runtime install python-3\.11-ml'$/m);
  const unknown = await d.rnx(['run', '--runtime=ruby:3', 'ruby', '-v']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /runtime 'ruby:3' is not installed and is not a built-in runtime \(no runtimes are installed\); see 'rnx runtime list'/);
  const after = JSON.parse((await d.rnx(['list', '--json'])).stdout) as unknown[];
  assert.is(after.length, before.length, 'no job was created');
});

test('rnx runtime validate: a valid file shows its specification; problems name their lines', async () => {
  const ok = await d.rnx(['runtime', 'validate', yamlFile('ok.yaml', GOOD)]);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /is valid/);
  assert.match(ok.stdout, /Language:\s+python 3\.11/);
  assert.match(ok.stdout, /Hooks:\s+yes/);
  const bad = await d.rnx(['runtime', 'validate', yamlFile('bad.yaml', GOOD.replace('name: my-tools', 'name: ../../escape').replace('description:', 'colour: red\ndescription:'))]);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /is invalid/);
  assert.match(bad.stdout, /• line 2: name: must be 1-64 characters/);
  assert.match(bad.stdout, /• line 4: colour: unknown key/);
  const j = await d.rnx(['runtime', 'validate', '--json', path.join(d.dir, 'bad.yaml')]);
  const v = JSON.parse(j.stdout) as { valid: boolean; errors: string[] };
  assert.is(v.valid, false);
  assert.is(v.errors.length, 2);
  const missing = await d.rnx(['runtime', 'validate', path.join(d.dir, 'nope.yaml')]);
  assert.match(missing.stderr, /cannot read .*nope\.yaml: no such file/);
});

test('rnx runtime build refuses a hostile runtime.yaml before building anything; --dry-run only checks', async () => {
  const hostile = GOOD.replace('name: my-tools', 'name: ../x').replace('  - python3-requests', '  - "curl; rm -rf /"').replace('hooks:', 'hooks:\n  on_boot: "id"');
  const r = await d.rnx(['runtime', 'build', yamlFile('hostile.yaml', hostile)]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^rnx: runtime\.yaml is invalid: line 2: name: .*line 9: packages\[0\]: must be a distribution package.*line 11: hooks\.on_boot: unknown key/m);
  assert.not.ok(fs.existsSync(path.join(d.stateDir, 'runtimes', '.build')) && fs.readdirSync(path.join(d.stateDir, 'runtimes', '.build')).length > 0);
  const dry = await d.rnx(['runtime', 'build', '--dry-run', path.join(d.dir, 'ok.yaml')]);
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /dry run: my-tools 1\.0\.0 is valid; it would install python3\.11, python3, python3-requests/);
});

test('install, remove and test refuse what they cannot do', async () => {
  const unknown = await d.rnx(['runtime', 'install', 'ruby:3']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /'ruby:3' is not a built-in runtime: built-ins are python-3\.11-ml \(python:3\.11-ml\);/);
  const rm = await d.rnx(['runtime', 'remove', 'python-3.11']);
  assert.is(rm.code, 1);
  assert.match(rm.stderr, /runtime 'python-3\.11' is not installed \(python-3\.11 is a built-in runtime you can install\)/);
  const t = await d.rnx(['runtime', 'test', 'java:17']);
  assert.is(t.code, 1);
  assert.match(t.stderr, /runtime 'java:17' \(openjdk-17\) is not installed/);
});

test('viewer may list, inspect and validate, not install, build, test or remove', async () => {
  assert.is((await d.rnx(['--node', 'viewer', 'runtime', 'list'])).code, 0);
  assert.is((await d.rnx(['--node', 'viewer', 'runtime', 'validate', path.join(d.dir, 'ok.yaml')])).code, 0);
  for (const [args, rpc] of [
    [['runtime', 'install', 'python-3.11'], 'InstallRuntime'],
    [['runtime', 'build', path.join(d.dir, 'ok.yaml')], 'BuildRuntime'],
    [['runtime', 'test', 'python-3.11'], 'TestRuntime'],
    [['runtime', 'remove', 'python-3.11'], 'RemoveRuntime'],
  ] as const) {
    const r = await d.rnx(['--node', 'viewer', ...args]);
    assert.is(r.code, 1, args.join(' '));
    assert.match(r.stderr, `role 'viewer' may not call ${rpc}`);
  }
});

test('an older SDK reads RuntimeInfo fields 1-8 of ListRuntimes unchanged', async () => {
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  try {
    const res = await createClient(RuntimeServiceDefinition, ch).listRuntimes({});
    const ml = res.runtimes.find((r) => r.name === 'python-3.11-ml')!;
    // The bytes the server sends, decoded with the v2.3-era message (fields 1-8 only).
    const old = protobuf.parse(`syntax = "proto3";
      message RuntimeRequirements { repeated string architectures = 1; bool gpu = 2; }
      message RuntimeInfo { string name = 1; string language = 2; string version = 3; string description = 4; int64 sizeBytes = 5;
        repeated string packages = 6; bool available = 7; RuntimeRequirements requirements = 8; }`).root.lookupType('RuntimeInfo');
    const decoded = old.toObject(old.decode(RuntimeInfo.encode(ml).finish()), { longs: Number, defaults: true }) as Record<string, unknown>;
    assert.is(decoded.name, 'python-3.11-ml');
    assert.is(decoded.language, 'python');
    assert.is(decoded.version, '1.0.0');
    assert.is(decoded.description, ml.description);
    assert.is(decoded.available, false);
    assert.equal(decoded.packages, ml.packages);
  } finally {
    ch.close();
  }
});

test.run();
