/**
 * A runtime made in a moment, for tests that need one installed but not what is in it: a root
 * filesystem of a few host programs (dash, sleep, cat and their libc) plus a `python3` script,
 * with a runtime.yml as a build writes it, placed where the daemon finds installed runtimes. A
 * real build takes minutes (tests/privileged/runtimes/); this one is copied from the host's /usr.
 * The daemon reads runtimes at start-up: place it, then (re)start the daemon.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, renderManifest, type Manifest } from '../../src/daemon/runtimes/manifest';

/** Host programs copied into the runtime (all need only libc). */
const PROGRAMS = ['/usr/bin/dash', '/usr/bin/sleep', '/usr/bin/cat'];
/** Their libraries, at the same paths inside. */
const LIBS = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib64/ld-linux-x86-64.so.2'];

/** What the runtime is called and what its smoke test (`rnx runtime test`) runs. */
export interface TinyRuntime {
  name: string;
  version?: string;
  /** The smoke test: a shell script run with `sh -c`. */
  smoke: string;
}

/** Installs `rt` under `<stateDir>/runtimes/` as a build would leave it; returns its directory. */
export function placeTinyRuntime(stateDir: string, rt: TinyRuntime): string {
  const version = rt.version ?? '1.0.0';
  const dir = path.join(stateDir, 'runtimes', rt.name, version);
  const rootfs = path.join(dir, 'rootfs');
  for (const file of [...PROGRAMS, ...LIBS]) {
    const to = path.join(rootfs, file);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
    // Resolved first: ld-linux in /usr/lib64 is a link into /usr/lib/x86_64-linux-gnu on Debian.
    fs.copyFileSync(fs.realpathSync(file), to);
    fs.chmodSync(to, 0o755);
  }
  const bin = path.join(rootfs, 'usr', 'bin');
  fs.symlinkSync('dash', path.join(bin, 'sh'));
  // The one program this runtime has that the host's /usr does not: a job that prints this ran in it.
  fs.writeFileSync(path.join(bin, 'python3'), `#!/bin/sh\necho "tiny python of ${rt.name}"\n`, { mode: 0o755 });
  for (const [link, target] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64']]) fs.symlinkSync(target!, path.join(rootfs, link!));
  const manifest: Manifest = {
    schema: 1,
    name: rt.name,
    version,
    language: 'python',
    languageVersion: '3.11',
    description: `${rt.name}: a few host programs, for tests`,
    builtin: false,
    aliases: [],
    environment: { TINY_RUNTIME: rt.name },
    requirements: { architectures: ['amd64'], gpu: false },
    packages: [{ name: 'dash', version: '0.5.12-2' }],
    installed: { dash: '0.5.12-2', coreutils: '9.1-1' },
    libraries: [],
    sizeBytes: 2_000_000,
    build: { builtAt: new Date().toISOString(), builtWith: 'tests/helpers/tiny-runtime.ts', platform: 'debian-12-amd64', archive: [], durationMs: 0, joblet: 'test' },
    smokeTest: { command: 'sh', args: ['-c', rt.smoke], files: [] },
  };
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), renderManifest(manifest));
  return dir;
}
