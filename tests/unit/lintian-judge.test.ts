/**
 * How the package test and `npm run package -- --lintian` judge lintian's output
 * (scripts/package/lintian.mjs): errors and warnings fail, so do overrides that match nothing;
 * overridden tags, notes and other info do not; every override in packaging/deb/lintian-overrides
 * carries a reason.
 */
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

interface LintianModule {
  judgeLintian(output: string): { problems: string[]; overridden: string[] };
  documentedOverrides(): { line: string; tag: string; reason: string }[];
  lintianArgs(deb: string): string[];
}
const load = () => import(path.join(__dirname, '../../scripts/package/lintian.mjs')) as Promise<LintianModule>;

const SAMPLE = `running with root privileges is not recommended!
N: Strings of the bundled JavaScript libraries, not joblet's text.
O: joblet: spelling-error-in-binary Protoype Prototype [usr/lib/joblet/joblet]
O: joblet: hardening-no-pie [usr/lib/joblet/joblet]
W: joblet: binary-without-manpage [usr/bin/newtool]
E: joblet: dir-or-file-in-tmp [tmp/x]
I: joblet: unused-override hardening-no-bindnow [usr/lib/joblet/joblet]
I: joblet: description-synopsis-might-not-be-phrased-properly
P: joblet: some-pedantic-tag
`;

test('errors, warnings and unused overrides are problems; overridden tags, notes and other info are not', async () => {
  const { judgeLintian } = await load();
  const { problems, overridden } = judgeLintian(SAMPLE);
  assert.equal(problems, [
    'W: joblet: binary-without-manpage [usr/bin/newtool]',
    'E: joblet: dir-or-file-in-tmp [tmp/x]',
    'I: joblet: unused-override hardening-no-bindnow [usr/lib/joblet/joblet]',
  ]);
  assert.is(overridden.length, 2);
  assert.equal(judgeLintian('O: joblet: hardening-no-pie [usr/lib/joblet/joblet]\n').problems, []);
});

test('lintian is asked for info tags and overridden ones, without its own verdict', async () => {
  const { lintianArgs } = await load();
  const args = lintianArgs('/x.deb');
  for (const a of ['--display-info', '--show-overrides', '--fail-on', 'none']) assert.ok(args.includes(a), a);
  assert.is(args.at(-1), '/x.deb');
});

test('every override in packaging/deb/lintian-overrides has a reason above it', async () => {
  const { documentedOverrides } = await load();
  const o = documentedOverrides();
  assert.ok(o.length >= 5, `${o.length} overrides`);
  for (const x of o) {
    assert.match(x.line, /^joblet: [a-z0-9.-]+/);
    assert.ok(x.reason.length > 20, `${x.tag}: ${x.reason}`);
  }
  // One comment may serve consecutive overrides; the file's header is no override's reason.
  assert.ok(o.every((x) => !/^lintian overrides for joblet/.test(x.reason)));
});

test.run();
