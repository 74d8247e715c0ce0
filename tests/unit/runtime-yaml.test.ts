/** runtime.yaml checks: hostile input refused with line numbers; a valid file becomes a build plan. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRuntimeYaml } from '../../src/daemon/runtimes/yaml';

const ctx = { builtinNames: new Set(['python-3.11-ml', 'python-3.11']), platform: 'debian-12-amd64' };
const GOOD = `schema_version: "1.0"
name: my-tools
version: 1.2.0
description: Python with requests
base:
  language: python
  version: "3.11"
packages:
  - python3-requests
  - curl=7.88.1-10+deb12u5
environment:
  GREETING: hello
  WORKERS: 4
hooks:
  timeout: 5m
  post_install: |
    echo done > /usr/local/share/marker
`;

const errorsOf = (text: string) => checkRuntimeYaml(text, ctx).errors;

test('a valid runtime.yaml becomes a plan with the base packages first', () => {
  const c = checkRuntimeYaml(GOOD, ctx);
  assert.equal(c.errors, []);
  const p = c.plan!;
  assert.is(p.name, 'my-tools');
  assert.is(p.version, '1.2.0');
  assert.is(p.language, 'python');
  assert.is(p.languageVersion, '3.11');
  assert.equal(p.packages, ['python3.11', 'python3', 'python3-requests', 'curl=7.88.1-10+deb12u5']);
  assert.is(p.environment.GREETING, 'hello');
  assert.is(p.environment.WORKERS, '4');
  assert.is(p.hooks.timeoutMs, 5 * 60_000);
  assert.match(p.hooks.postInstall!, /marker/);
  assert.is(p.builtin, false);
  assert.is(p.originalYaml, GOOD);
  assert.equal(c.info, { name: 'my-tools', version: '1.2.0', language: 'python', languageVersion: '3.11', description: 'Python with requests', pip: [], npm: [], hasHooks: true, requiresGpu: false });
});

test('unknown keys are errors that name their line', () => {
  const errs = errorsOf(GOOD.replace('description:', 'colour: blue\ndescription:').replace('  language: python', '  language: python\n  flavour: x'));
  assert.ok(errs.some((e) => /^line 4: colour: unknown key \(allowed: schema_version, name/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^line 8: base\.flavour: unknown key \(allowed: language, version\)$/.test(e)), errs.join('\n'));
});

test('a name that could leave the runtimes directory is refused', () => {
  for (const bad of ['../../etc', 'a/b', '..', '.hidden', 'x..y', 'UPPER', 'a'.repeat(65), '"with space"']) {
    const errs = errorsOf(GOOD.replace('name: my-tools', `name: ${bad}`));
    assert.ok(errs.some((e) => /^line 2: name: /.test(e)), `${bad}: ${errs.join('\n')}`);
  }
});

test('shell text cannot hide in package, pip or npm entries or pip options', () => {
  const base = GOOD.replace('  language: python', '  language: python');
  assert.ok(errorsOf(base.replace('  - curl=7.88.1-10+deb12u5', '  - "curl; rm -rf /"')).some((e) => /^line 10: packages\[1\]: must be a distribution package/.test(e)));
  assert.ok(errorsOf(`${base}pip:\n  - "requests $(id)"\n`).some((e) => /pip\[0\]: must be a pip requirement/.test(e)));
  assert.ok(errorsOf(`${base}pip_options: "--index-url=http://x/ ;reboot"\n`).some((e) => /pip_options: option ';reboot' is not allowed/.test(e)));
  const node = GOOD.replace('language: python', 'language: node').replace('version: "3.11"', 'version: "18"');
  assert.ok(errorsOf(`${node}npm:\n  - "lodash && curl x"\n`).some((e) => /npm\[0\]: must be an npm package/.test(e)));
  assert.equal(errorsOf(`${node}npm:\n  - lodash@4.17.21\n  - "@types/node"\n`), []);
});

test('required fields, versions and types', () => {
  assert.ok(errorsOf(GOOD.replace('schema_version: "1.0"\n', '')).some((e) => /schema_version: is required/.test(e)));
  assert.ok(errorsOf(GOOD.replace('"1.0"', '"2.0"')).some((e) => /^line 1: schema_version: must be "1.0"/.test(e)));
  assert.ok(errorsOf(GOOD.replace('version: 1.2.0', 'version: latest')).some((e) => /^line 3: version: must be a version X\.Y\.Z/.test(e)));
  assert.ok(errorsOf(GOOD.replace('description: Python with requests\n', '')).some((e) => /description: is required/.test(e)));
  assert.ok(errorsOf(GOOD.replace('language: python', 'language: cobol')).some((e) => /^line 6: base\.language: must be one of python, java, node, go, rust/.test(e)));
  assert.ok(errorsOf(GOOD.replace('version: "3.11"', 'version: 3.10')).some((e) => /^line 7: base\.version: YAML reads 3\.10 as the number 3\.1: quote it/.test(e)));
  assert.ok(errorsOf(GOOD.replace('version: "3.11"', 'version: "eleven"')).some((e) => /base\.version: 'eleven' is not a python version/.test(e)));
  assert.ok(errorsOf(GOOD.replace('  WORKERS: 4', '  JOB_ID: x')).some((e) => /environment\.JOB_ID: JOB_ID is set by joblet/.test(e)));
  assert.ok(errorsOf(GOOD.replace('  timeout: 5m', '  timeout: forever')).some((e) => /^line 15: hooks\.timeout: /.test(e)));
  assert.ok(errorsOf(`${GOOD}requirements:\n  gpu: true\n`).some((e) => /requirements\.gpu: GPU runtimes are not supported/.test(e)));
  assert.ok(errorsOf(`${GOOD}pip:\n  - requests\n`.replace('language: python', 'language: java').replace('version: "3.11"', 'version: "17"')).some((e) => /pip: pip packages need base.language python/.test(e)));
});

test('a built-in name cannot be taken', () => {
  assert.ok(errorsOf(GOOD.replace('name: my-tools', 'name: python-3.11-ml')).some((e) => /'python-3.11-ml' is a built-in runtime/.test(e)));
});

test('syntax errors and non-mappings name their line; oversized files are refused', () => {
  assert.match(errorsOf('name: a\nbase: [unclosed\nversion: 1\n')[0]!, /^line \d+: YAML syntax error/);
  assert.equal(errorsOf('- a\n- b\n'), ['line 1: runtime.yaml must be a mapping of keys to values at the top level']);
  assert.equal(errorsOf(''), ['runtime.yaml is empty']);
  assert.match(errorsOf(`# ${'x'.repeat(300 * 1024)}\n`)[0]!, /at most 262144/);
});

test('pip and npm add their tools; warnings do not block', () => {
  const c = checkRuntimeYaml(`${GOOD}pip:\n  - requests==2.31.0\nplatforms:\n  - ubuntu-arm64\n`, ctx);
  assert.equal(c.errors, []);
  assert.ok(c.plan!.packages.includes('python3-pip'));
  assert.equal(c.plan!.pip, ['requests==2.31.0']);
  assert.match(c.warnings[0]!, /^line 20: platforms: none of the listed platforms is this server's architecture \(amd64\)/);
});

test.run();
