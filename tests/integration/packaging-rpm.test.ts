/**
 * The .rpm without installing it on this (Debian) host: its metadata (`rpm -qpi`, requirements),
 * its file list (`rpm -qpl`) with modes and links, and its scriptlets (`rpm -qp --scripts`): each
 * is valid POSIX sh that shellcheck accepts, carries the shared library intact, and branches on
 * rpm's $1 the upgrade-safe way. tests/privileged/packaging-rpm-root.test.ts installs, upgrades
 * and erases it with rpm in a throwaway root, where the scriptlets really run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec } from '../helpers/daemon';
import { buildPackage } from '../helpers/packages';

const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
let rpmFile = '';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-rpm-'));

async function rpmq(args: string[]): Promise<string> {
  const r = await exec('rpm', [...args, rpmFile], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`rpm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  try {
    rpmFile = await buildPackage('rpm', VERSION);
  } catch (err) {
    process.stderr.write(`packaging-rpm: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    throw err;
  }
});

test.after(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('rpm -qpi: name, version, release, architecture, licence and description', async () => {
  const info = await rpmq(['-qpi']);
  const field = (name: string) => new RegExp(`^${name}\\s*: (.*)$`, 'm').exec(info)?.[1]?.trim();
  assert.is(field('Name'), 'joblet');
  assert.is(field('Version'), VERSION);
  assert.is(field('Release'), '1');
  assert.is(field('Architecture'), 'x86_64');
  assert.match(field('License') ?? '', /^MIT/);
  assert.match(field('Summary') ?? '', /job execution/i);
  assert.match(info, /namespaces/);
  assert.is(path.basename(rpmFile), `joblet-${VERSION}-1.x86_64.rpm`);
  const requires = (await rpmq(['-qpR'])).split('\n').map((l) => l.trim());
  for (const r of ['iproute', 'nftables', 'e2fsprogs', 'util-linux', '/bin/sh']) assert.ok(requires.includes(r), `Requires ${r}: ${requires.join(', ')}`);
});

test('rpm -qpl: the same layout as the .deb, with modes and links', async () => {
  const files = (await rpmq(['-qpl'])).split('\n').filter(Boolean).sort();
  assert.equal(files, [
    '/usr/bin/joblet',
    '/usr/bin/rnx',
    '/usr/lib/joblet',
    '/usr/lib/joblet/joblet',
    '/usr/lib/joblet/joblet-maint',
    '/usr/lib/joblet/rnx',
    '/usr/lib/systemd/system/joblet.service',
    '/usr/share/bash-completion/completions/rnx',
    '/usr/share/doc/joblet',
    '/usr/share/doc/joblet/README.md',
    '/usr/share/fish/vendor_completions.d/rnx.fish',
    '/usr/share/licenses/joblet',
    '/usr/share/licenses/joblet/LICENSE',
    '/usr/share/licenses/joblet/THIRD-PARTY-NOTICES.txt',
    '/usr/share/man/man1/rnx.1.gz',
    '/usr/share/man/man8/joblet.8.gz',
    '/usr/share/zsh/site-functions/_rnx',
  ]);
  const modes = await rpmq(['-qp', '--qf', '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES} %{FILELINKTOS}\n]']);
  assert.match(modes, /^-rwxr-xr-x root \/usr\/lib\/joblet\/joblet $/m);
  assert.match(modes, /^-rwxr-xr-x root \/usr\/lib\/joblet\/joblet-maint $/m);
  assert.match(modes, /^lrwxrwxrwx root \/usr\/bin\/rnx \.\.\/lib\/joblet\/joblet$/m);
  assert.match(modes, /^lrwxrwxrwx root \/usr\/bin\/joblet \.\.\/lib\/joblet\/joblet$/m);
  assert.match(modes, /^-rw-r--r-- root \/usr\/lib\/systemd\/system\/joblet.service $/m);
});

test('rpm --scripts: %post, %preun and %postun are valid sh, carry the shared library intact and are upgrade-safe', async () => {
  const out = await rpmq(['-qp', '--scripts']);
  const parts = out.split(/^(\w+) scriptlet \(using ([^)]+)\):$/m);
  const scripts: Record<string, string> = {};
  for (let i = 1; i + 2 < parts.length + 1; i += 3) {
    assert.is(parts[i + 1], '/bin/sh', `${parts[i]} runs with /bin/sh`);
    scripts[parts[i]!] = parts[i + 2]!;
  }
  assert.equal(Object.keys(scripts).sort(), ['postinstall', 'postuninstall', 'preuninstall']);
  const library = fs.readFileSync(path.join(__dirname, '../../packaging/joblet-maint.sh'), 'utf8');
  // The shell's own pid ($$) survives the inlining (a string replacement would have made it "$").
  assert.ok(library.includes('"$$"'));
  for (const [name, text] of Object.entries(scripts)) {
    assert.ok(text.includes('"$$"'), `${name} keeps "$$"`);
    assert.ok(text.includes('jm_sweep() {') && text.includes('jm_stop() {'), `${name} carries the shared library`);
    const file = path.join(scratch, `${name}.sh`);
    fs.writeFileSync(file, text);
    const syntax = await exec('sh', ['-n', file]);
    assert.is(syntax.code, 0, `${name}: sh -n: ${syntax.stderr}`);
    const lint = await exec('shellcheck', ['-s', 'sh', '-S', 'warning', file]);
    assert.is(lint.code, 0, `${name}: shellcheck:\n${lint.stdout}${lint.stderr}`);
  }
  // $1: 1 = install, 2 = upgrade (%post); 0 = erase, 1 = upgrade (%preun, %postun).
  assert.match(scripts.postinstall!, /jm_configure /);
  assert.match(scripts.postinstall!, /if \[ "\$1" -eq 1 \]; then\s+systemctl enable joblet.service/);
  assert.match(scripts.preuninstall!, /if \[ "\$1" -eq 0 \]; then[\s\S]*jm_stop/);
  assert.match(scripts.postuninstall!, /if \[ "\$1" -ge 1 \]; then[\s\S]*try-restart joblet.service[\s\S]*else[\s\S]*jm_drop_cache/);
});

test.run();
