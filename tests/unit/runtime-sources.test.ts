/** Which archive runtimes are built from, and what apt and dpkg report about packages. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { missingPackages, parseDpkgStatus, parseSimulatedInstall, unmetDependencies, upstreamVersion } from '../../src/daemon/runtimes/dpkg';
import { PackageTracker } from '../../src/daemon/runtimes/progress';
import { builtinPlans, normalizeRef } from '../../src/daemon/runtimes/recipes';
import { buildSources, formatEntry, hostAptOptions, parseDeb822, parseOneLine } from '../../src/daemon/runtimes/sources';
import { installScript, resolveScript, shq } from '../../src/daemon/runtimes/build-script';

let tmp: string;
test.before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-src-'));
  fs.mkdirSync(path.join(tmp, 'apt/sources.list.d'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  fs.writeFileSync(path.join(tmp, 'apt/sources.list'), '# nothing here\ndeb-src http://deb.debian.org/debian bookworm main\n');
  fs.writeFileSync(
    path.join(tmp, 'apt/sources.list.d/debian.sources'),
    'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  );
  // Vendor repositories of the host: never part of a runtime.
  fs.writeFileSync(path.join(tmp, 'apt/sources.list.d/nodesource.sources'), 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\nSigned-By: /usr/share/keyrings/nodesource.gpg\n');
  fs.writeFileSync(path.join(tmp, 'apt/sources.list.d/docker.list'), 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n');
  fs.writeFileSync(path.join(tmp, 'apt/sources.list.d/old.list.disabled'), 'deb http://example.org/debian bookworm main\n');
  fs.writeFileSync(path.join(tmp, 'apt/sources.list.d/off.sources'), 'Types: deb\nEnabled: no\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\n');
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the host\'s distribution archive is used, vendor and disabled repositories are not', () => {
  const { entries, suite } = buildSources([], { etcApt: path.join(tmp, 'apt'), osRelease: path.join(tmp, 'os-release') });
  assert.is(suite, 'bookworm');
  assert.equal(entries.map((e) => formatEntry(e)), [
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main',
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main',
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main',
  ]);
});

test('configured sources win; a host without its release\'s archive is refused clearly', () => {
  const r = buildSources(['deb http://mirror.example/debian trixie main contrib'], { etcApt: path.join(tmp, 'apt'), osRelease: path.join(tmp, 'os-release') });
  assert.is(r.suite, 'trixie');
  assert.equal(r.entries[0], { uri: 'http://mirror.example/debian', suite: 'trixie', components: ['main', 'contrib'], signedBy: undefined });
  fs.writeFileSync(path.join(tmp, 'os-release2'), 'ID=debian\nVERSION_CODENAME=trixie\n');
  assert.throws(() => buildSources([], { etcApt: path.join(tmp, 'apt'), osRelease: path.join(tmp, 'os-release2') }), /no entry for its release 'trixie'.*runtimes\.sources/);
});

test('one-line and deb822 parsing', () => {
  assert.equal(parseOneLine('deb [arch=amd64 signed-by=/k.gpg] http://x/debian bookworm main non-free # c\n#deb http://y z w\n'), [{ uri: 'http://x/debian', suite: 'bookworm', components: ['main', 'non-free'], signedBy: '/k.gpg' }]);
  const inline = parseDeb822('Types: deb deb-src\nURIs: http://a http://b\nSuites: s1\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n');
  assert.is(inline.length, 2);
  assert.match(inline[0]!.signedBy!, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END/);
});

test('apt proxies of the host are passed on', () => {
  assert.equal(hostAptOptions(() => 'APT::Foo "1";\nAcquire::http::Proxy "http://proxy:3128";\nAcquire::https::Proxy::deb.example "DIRECT";\n'), ['Acquire::http::Proxy "http://proxy:3128";', 'Acquire::https::Proxy::deb.example "DIRECT";']);
  assert.equal(hostAptOptions(() => { throw new Error('no apt-config'); }), []);
});

test('built-ins and their aliases, as the original\'s docs spell them', () => {
  const plans = builtinPlans();
  assert.equal(plans.map((p) => p.name), ['python-3.11-ml', 'python-3.11', 'openjdk-17', 'openjdk-21', 'nodejs-18']);
  const ml = plans[0]!;
  assert.equal(ml.aliases, ['python:3.11-ml']);
  for (const p of ['python3-numpy', 'python3-pandas', 'python3-scipy', 'python3-sklearn', 'python3-matplotlib']) assert.ok(ml.packages.includes(p), p);
  assert.equal(plans.find((p) => p.name === 'openjdk-17')!.aliases, ['openjdk:17', 'java:17']);
  assert.equal(plans.find((p) => p.name === 'nodejs-18')!.aliases, ['nodejs:18', 'node:18']);
  assert.is(plans.find((p) => p.name === 'nodejs-18')!.versionPrefix, '18.');
  assert.equal(normalizeRef('Python:3.11-ML@1.0.0'), { name: 'python-3.11-ml', version: '1.0.0' });
  assert.equal(normalizeRef(' java:17 '), { name: 'java-17' });
});

test('dpkg status, simulated installs and missing packages', () => {
  const status = 'Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: c\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.11.2-6+deb12u2\n';
  assert.equal([...parseDpkgStatus(status)], [['a', '1:2.0-1'], ['c', '3.11.2-6+deb12u2']]);
  assert.equal([...parseSimulatedInstall('Inst libc6 (2.36-9+deb12u7 Debian:12.7/stable [amd64])\nInst python3.11 [3.11.1] (3.11.2-6 Debian [amd64])\nConf libc6 (2.36)\n')], [['libc6', '2.36-9+deb12u7'], ['python3.11', '3.11.2-6']]);
  const err = 'E: Unable to locate package openjdk-21-jdk-headless\nE: Package \'nodejs\' has no installation candidate\nE: Version \'9.9\' for \'curl\' was not found\n';
  assert.equal(missingPackages(err), [
    { name: 'openjdk-21-jdk-headless', why: 'not in the archive' },
    { name: 'nodejs', why: 'no installable version in the archive' },
    { name: 'curl=9.9', why: 'that version is not in the archive' },
  ]);
  assert.match(unmetDependencies('The following packages have unmet dependencies:\n x : Depends: y (>= 2) but 1 is to be installed\nE: Unable to correct problems\n')!, /x : Depends: y/);
  assert.is(upstreamVersion('1:1.24.2-1+deb12u1'), '1.24.2');
  assert.is(upstreamVersion('18.19.0+dfsg-6~deb12u2'), '18.19.0');
});

test('package progress from apt and dpkg lines', () => {
  const t = new PackageTracker(3);
  assert.equal(t.update('Get:7 http://deb.debian.org/debian bookworm/main amd64 python3-numpy amd64 1:1.24.2-1 [6200 kB]'), { current: 'downloading python3-numpy 1:1.24.2-1', done: 0 });
  assert.equal(t.update('Unpacking libc6:amd64 (2.36-9) ...'), { current: 'unpacking libc6 2.36-9', done: 0 });
  assert.equal(t.update('Setting up libc6:amd64 (2.36-9) ...'), { current: 'setting up libc6 2.36-9', done: 1 });
  assert.is(t.update('I: running apt-get update...'), undefined);
});

test('plan words are quoted for the build scripts', () => {
  assert.is(shq("it's"), `'it'\\''s'`);
  const plan = builtinPlans()[0]!;
  assert.match(resolveScript(plan), /apt-get install --simulate -q '\?essential' apt 'python3\.11' 'python3'/);
  const install = installScript(plan, { suite: 'bookworm', aptOptions: [], cacheLockSeconds: 60 });
  assert.match(install, /flock -w 60 \/volumes\/apt-cache\/\.joblet-build\.lock mmdebstrap '--mode=root'/);
  assert.match(install, /'--include=python3\.11,python3,python3-numpy,/);
  assert.match(install, /'bookworm' '\/work\/rootfs' '\/work\/sources\.list'\n$/);
});

test.run();
