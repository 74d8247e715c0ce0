/**
 * One runtime build, phase by phase (progress.ts), from a plan (a built-in recipe or a user's
 * runtime.yaml) to a finished tree in a staging directory, which the manager renames into place.
 *
 * Threat model. A build runs code we do not control: maintainer scripts of every package it
 * installs, and for user runtimes arbitrary hooks and pip/npm packages. Safe by construction:
 *   - nothing of it runs on the host or as host root: every step is a sandboxed process
 *     (build-sandbox.ts) whose only writable host paths are the build's own staging directory and,
 *     for the steps that run apt (never user code), the apt cache;
 *   - its root is root of a user namespace mapped onto `runtimes.buildIdBase`… — host ids that own
 *     nothing else; maintainer scripts and hooks run chrooted into the runtime being built, and even
 *     a process that leaves that chroot lands in the sandbox, not on the host;
 *   - the build writes to `<runtimes>/.build/<id>/` only; the result is renamed into place in one
 *     step, and a failed, cancelled or interrupted build (also by a daemon crash: start-up clears
 *     .build/) leaves nothing half-installed. A full disk is reported as such and cleaned up;
 *   - the daemon reads the result without following symlinks (tree.ts), gives it root ownership and
 *     strips set-id bits; jobs mount it read-only, nosuid, nodev (src/sandbox/runtime-root.ts).
 * The remaining trust is in the archive (apt checks its signatures) and in the kernel's user
 * namespaces, the same trust rootless containers rely on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError, FailedPreconditionError, JobletError } from '../../shared/errors';
import { formatSize } from '../../shared/limits';
import { newJobId } from '../../shared/ids';
import type { ServerConfig } from '../../shared/config/server';
import { BUILD_ID_COUNT, runBuildStep, type BuildSandboxDeps, type StepResult } from './build-sandbox';
import { aptConf, customizeScript, deriveScript, EXIT_UNRESOLVED, IN_BUILD, installScript, needsCustomize, resolveScript } from './build-script';
import { missingPackages, parseDpkgStatus, parseSimulatedInstall, unmetDependencies, upstreamVersion } from './dpkg';
import { MANIFEST_FILE, renderManifest, type Manifest } from './manifest';
import { logEvent, PackageTracker, PHASES, type BuildEvent, type PhaseName } from './progress';
import type { BuildPlan } from './recipes';
import { buildSources, describeArchive, formatEntry, hostAptOptions, hostArchitecture, hostPlatform, trustedKeyrings, type SourceEntry } from './sources';
import { finalizeTree, freeBytes, isRealDir, readInside, shiftIds } from './tree';
import { evict, touchUsed } from './cache';

/** What a build needs to know about this daemon. */
export interface BuildSettings {
  runtimesDir: string;
  runtimes: ServerConfig['runtimes'];
  jobletVersion: string;
  /** Host tools a build runs inside its sandbox (host /usr); a test may point them elsewhere. */
  tools?: string[];
}

/** An installed runtime a user runtime starts from, instead of a new root (same language and version). */
export interface BuildBase {
  name: string;
  version: string;
  rootfs: string;
}

/** Where a build's result waits to be renamed into place. */
export interface BuildResult {
  /** `<staging>/out`: runtime.yml and rootfs/. */
  outDir: string;
  manifest: Manifest;
}

/** Tools from the host's /usr that builds run. */
const TOOLS = ['/usr/bin/mmdebstrap', '/usr/bin/apt-get', '/usr/bin/dpkg', '/usr/bin/unshare', '/usr/bin/setpriv', '/usr/bin/flock', '/usr/bin/perl'];

/** The staging directory of builds under the runtimes directory. */
export const STAGING = '.build';

/** Runs the build; `place` renames the result into place (the manager's last phase). */
export async function runBuild(
  deps: BuildSandboxDeps,
  s: BuildSettings,
  plan: BuildPlan,
  o: { emit: (e: BuildEvent) => void; signal: AbortSignal; place: (r: BuildResult) => Promise<string>; base?: BuildBase },
): Promise<{ installPath: string; manifest: Manifest }> {
  const started = Date.now();
  const phase = (name: PhaseName, message: string, extra: Partial<Extract<BuildEvent, { kind: 'phase' }>> = {}) =>
    o.emit({ kind: 'phase', phase: name, number: PHASES.indexOf(name) + 1, total: PHASES.length, message, ...extra });
  const staging = path.join(s.runtimesDir, STAGING, newJobId());
  const b = new Build(deps, s, plan, staging, o.emit, o.signal, o.base);
  try {
    phase('Validate', `${plan.name} ${plan.version}: ${plan.packages.length} package(s) (${plan.packages.join(', ')})${o.base ? `, on the installed ${o.base.name} ${o.base.version}` : ''}`);
    const missing = (s.tools ?? TOOLS).filter((t) => !fs.existsSync(t));
    if (missing.length) throw new FailedPreconditionError(`runtime builds need ${missing.join(', ')} on the server: apt-get install mmdebstrap util-linux (scripts/install-deps.sh does)`);
    const { entries, suite } = buildSources(s.runtimes.sources);
    const archive = describeArchive(entries);
    phase('Detect platform', `${hostPlatform()}, archive ${archive.join('; ')}`);
    const free = freeBytes(s.runtimesDir);
    if (free < s.runtimes.minFreeMB * 1024 * 1024) {
      throw new JobletError('RESOURCE_EXHAUSTED', `only ${formatSize(free)} free on the disk holding ${s.runtimesDir}; a build needs at least ${s.runtimes.minFreeMB}MB (runtimes.minFreeMB): free some space`);
    }
    phase('Check disk space', `${formatSize(free)} free for ${s.runtimesDir}`);
    b.prepare(entries, suite);
    phase('Prepare build directory', staging);
    phase('Resolve packages', `refreshing the package lists of ${archive.join('; ')}`);
    const closure = await b.resolve(archive);
    phase('Resolve packages', `${closure.size} packages to install${closure.has(plan.languagePackage) ? ` (${plan.languagePackage} ${closure.get(plan.languagePackage)})` : ''}`);
    await b.install(closure.size, (msg, extra) => phase('Install packages', msg, extra));
    if (needsCustomize(plan)) {
      phase('Customize', 'running hooks and language package installs inside the new root');
      await b.customize();
    } else phase('Customize', 'nothing to customize (no hooks, pip or npm packages)');
    phase('Finalize', 'taking ownership, listing packages, writing runtime.yml');
    const result = b.finalize(archive, Date.now() - started);
    phase('Finalize', `${formatSize(result.manifest.sizeBytes)}, ${Object.keys(result.manifest.installed).length} packages`);
    const installPath = await o.place(result);
    phase('Install into place', installPath);
    b.maintainCache(result.manifest);
    return { installPath, manifest: result.manifest };
  } catch (err) {
    throw b.explain(err);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** The state of one build between phases. */
class Build {
  private readonly work: string;
  private readonly rootfs: string;
  private readonly lines: string[] = [];
  private diskFull = false;
  private suite = '';

  constructor(
    private readonly deps: BuildSandboxDeps,
    private readonly s: BuildSettings,
    private readonly plan: BuildPlan,
    private readonly staging: string,
    private readonly emit: (e: BuildEvent) => void,
    private readonly signal: AbortSignal,
    private readonly base?: BuildBase,
  ) {
    this.work = path.join(staging, 'work');
    this.rootfs = path.join(this.work, 'rootfs');
  }

  private get idBase(): number {
    return this.s.runtimes.buildIdBase;
  }

  /** Phase 4: the staging directory, owned by root except what the build writes (owned by buildIdBase). */
  prepare(entries: SourceEntry[], suite: string): void {
    this.suite = suite;
    fs.mkdirSync(path.join(this.s.runtimesDir, STAGING), { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.staging, { mode: 0o700 });
    fs.mkdirSync(this.work, { mode: 0o755 });
    const apt = path.join(this.work, 'apt');
    for (const d of ['var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'empty']) fs.mkdirSync(path.join(apt, d), { recursive: true });
    // A derived build resolves against what its base already has.
    fs.writeFileSync(path.join(apt, 'status'), this.base ? (readInside(this.base.rootfs, 'var/lib/dpkg/status') ?? '') : '');
    fs.mkdirSync(this.rootfs, { mode: 0o755 });
    for (const p of [this.rootfs, apt]) chownTree(p, this.idBase);
    const keyrings = path.join(this.work, 'keyrings');
    fs.mkdirSync(keyrings);
    trustedKeyrings().forEach((k, i) => fs.copyFileSync(k, path.join(keyrings, `trusted-${i}${path.extname(k)}`)));
    const lines = entries.map((e, i) => {
      if (!e.signedBy || e.signedBy.startsWith('/usr/')) return formatEntry(e);
      // A keyring outside /usr (or an inline key) is copied in: the build sees the host's /usr only.
      const file = `signed-by-${i}${e.signedBy.includes('BEGIN PGP') ? '.asc' : path.extname(e.signedBy) || '.gpg'}`;
      if (e.signedBy.includes('BEGIN PGP')) fs.writeFileSync(path.join(keyrings, file), `${e.signedBy}\n`);
      else fs.copyFileSync(e.signedBy, path.join(keyrings, file));
      return formatEntry(e, `${IN_BUILD.keyrings}/${file}`);
    });
    fs.writeFileSync(path.join(this.work, 'sources.list'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(this.work, 'sources.chroot.list'), `${entries.map((e) => formatEntry(e, '')).join('\n')}\n`);
    const aptOptions = hostAptOptions();
    fs.writeFileSync(path.join(apt, 'apt.conf'), aptConf(hostArchitecture(), aptOptions));
    fs.writeFileSync(path.join(this.work, 'resolve.sh'), resolveScript(this.plan, !!this.base));
    const lock = this.s.runtimes.buildTimeoutSeconds;
    fs.writeFileSync(path.join(this.work, 'install.sh'), this.base ? deriveScript(this.plan, { aptOptions, cacheLockSeconds: lock }) : installScript(this.plan, { suite, aptOptions, cacheLockSeconds: lock }));
    if (needsCustomize(this.plan)) {
      fs.mkdirSync(path.join(this.work, 'hooks'));
      if (this.plan.hooks.preInstall) fs.writeFileSync(path.join(this.work, 'hooks', 'pre_install.sh'), this.plan.hooks.preInstall);
      if (this.plan.hooks.postInstall) fs.writeFileSync(path.join(this.work, 'hooks', 'post_install.sh'), this.plan.hooks.postInstall);
      fs.writeFileSync(path.join(this.work, 'customize.sh'), customizeScript(this.plan));
    }
    const cache = this.s.runtimes.aptCacheDir;
    fs.mkdirSync(cache, { recursive: true, mode: 0o755 });
    // The cache belongs to the builds' root; entries from a daemon with another buildIdBase are taken over.
    chownTree(cache, this.idBase, 2);
  }

  private async step(name: string, script: string, opts: { cache: boolean; timeoutMs: number; onLine?: (line: string) => void }): Promise<StepResult> {
    const r = await runBuildStep(this.deps, {
      id: newJobId(),
      dir: this.staging,
      script: `${IN_BUILD.work}/${script}`,
      cacheDir: opts.cache ? this.s.runtimes.aptCacheDir : undefined,
      network: this.s.runtimes.buildNetwork,
      memoryBytes: this.s.runtimes.buildMemoryMB * 1024 * 1024,
      timeoutMs: opts.timeoutMs,
      idBase: this.idBase,
      signal: this.signal,
      onLine: (stream, line) => {
        this.lines.push(line);
        if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 300);
        if (/No space left on device|ENOSPC/.test(line)) this.diskFull = true;
        this.emit(logEvent(line, stream));
        opts.onLine?.(line);
      },
    });
    if (r.aborted) throw new JobletError('UNAVAILABLE', `the build of ${this.plan.name} was cancelled`);
    if (r.timedOut) throw new JobletError('RESOURCE_EXHAUSTED', `${name} took longer than ${Math.round(opts.timeoutMs / 1000)}s and was stopped${name === 'install' ? ' (runtimes.buildTimeoutSeconds)' : ''}`);
    if (r.oomKilled) throw new JobletError('RESOURCE_EXHAUSTED', `${name} ran out of memory (runtimes.buildMemoryMB = ${this.s.runtimes.buildMemoryMB})`);
    return r;
  }

  /** Phase 5: the package lists, and which packages at which versions the build will install. */
  async resolve(archive: string[]): Promise<Map<string, string>> {
    const out: string[] = [];
    const r = await this.step('resolve', 'resolve.sh', { cache: false, timeoutMs: 10 * 60_000, onLine: (l) => out.push(l) });
    const text = out.join('\n');
    if (r.exitCode === EXIT_UNRESOLVED) {
      const missing = missingPackages(text);
      const where = `the archive (${archive.join('; ')})`;
      if (missing.length) {
        throw new FailedPreconditionError(`runtime ${this.plan.name} cannot be built from ${where}: ${missing.map((m) => `package '${m.name}' (${m.why})`).join(', ')}`);
      }
      throw new FailedPreconditionError(`runtime ${this.plan.name} cannot be built from ${where}: ${unmetDependencies(text) ?? lastErrors(out)}`);
    }
    if (r.exitCode !== 0) throw new JobletError('UNAVAILABLE', `cannot read the package lists of ${archive.join('; ')} (exit ${r.exitCode}): ${lastErrors(out)}`);
    const closure = parseSimulatedInstall(text);
    const lang = closure.get(this.plan.languagePackage) ?? (this.base ? 'installed' : undefined);
    if (!lang) throw new FailedPreconditionError(`runtime ${this.plan.name}: the archive does not provide ${this.plan.languagePackage}`);
    if (this.base) return closure;
    if (this.plan.versionPrefix && !upstreamVersion(lang).startsWith(this.plan.versionPrefix)) {
      throw new FailedPreconditionError(
        `runtime ${this.plan.name} needs ${this.plan.language} ${this.plan.languageVersion}, but the archive's ${this.plan.languagePackage} is ${lang}`,
      );
    }
    return closure;
  }

  /** Phase 6: mmdebstrap (or a copy of the base and apt inside it), with the shared apt cache. */
  async install(total: number, report: (msg: string, extra: { currentPackage: string; packagesDone: number; packagesTotal: number }) => void): Promise<void> {
    if (this.base) {
      report(`copying ${this.base.name} ${this.base.version}`, { currentPackage: '', packagesDone: 0, packagesTotal: 0 });
      await copyTree(this.base.rootfs, this.rootfs);
      // The copy becomes the build's: its root is the build namespace's root.
      shiftIds(this.rootfs, 0, this.idBase, BUILD_ID_COUNT);
      if (total === 0) return;
    }
    const tracker = new PackageTracker(total);
    const tail: string[] = [];
    const r = await this.step('install', 'install.sh', {
      cache: true,
      timeoutMs: this.s.runtimes.buildTimeoutSeconds * 1000,
      onLine: (line) => {
        tail.push(line);
        if (tail.length > 60) tail.shift();
        const u = tracker.update(line);
        if (u) report(`${u.current} (${u.done}/${total} set up)`, { currentPackage: u.current.split(' ')[1] ?? '', packagesDone: u.done, packagesTotal: total });
      },
    });
    if (r.exitCode !== 0) throw new JobletError('INTERNAL', `installing the packages failed (mmdebstrap exit ${r.exitCode}): ${lastErrors(tail)}`);
  }

  /** Phase 7: hooks, pip and npm, in a sandbox without the apt cache. */
  async customize(): Promise<void> {
    const tail: string[] = [];
    const r = await this.step('customize', 'customize.sh', {
      cache: false,
      timeoutMs: this.plan.hooks.timeoutMs + 5 * 60_000,
      onLine: (l) => {
        tail.push(l);
        if (tail.length > 60) tail.shift();
      },
    });
    if (r.exitCode === 124) throw new JobletError('RESOURCE_EXHAUSTED', `a customize step (hook, pip or npm) took longer than hooks.timeout and was stopped`);
    if (r.exitCode !== 0) throw new JobletError('FAILED_PRECONDITION', `a customize step (hook, pip or npm) failed with exit ${r.exitCode}: ${lastErrors(tail)}`);
  }

  /** Phase 8: ownership, inventory and the manifest, in `<staging>/out`. */
  finalize(archive: string[], durationMs: number): BuildResult {
    if (!isRealDir(path.join(this.rootfs, 'usr'))) throw new JobletError('INTERNAL', 'the build produced no usr directory');
    const tree = finalizeTree(this.rootfs, this.idBase, BUILD_ID_COUNT);
    const installed = parseDpkgStatus(readInside(this.rootfs, 'var/lib/dpkg/status') ?? '');
    const wanted = this.plan.packages.map((p) => p.replace(/[=/].*$/, ''));
    const absent = wanted.filter((p) => !installed.has(p));
    if (absent.length) throw new JobletError('INTERNAL', `the build finished but ${absent.join(', ')} is not installed in it`);
    const langVersion = upstreamVersion(installed.get(this.plan.languagePackage)!);
    const environment = { ...this.plan.environment };
    if (environment.JAVA_HOME && !isRealDir(path.join(this.rootfs, environment.JAVA_HOME))) {
      throw new JobletError('INTERNAL', `the build has no ${environment.JAVA_HOME} (JAVA_HOME)`);
    }
    const manifest: Manifest = {
      schema: 1,
      name: this.plan.name,
      version: this.plan.version,
      language: this.plan.language,
      languageVersion: langVersion,
      description: this.plan.description,
      builtin: this.plan.builtin,
      aliases: this.plan.aliases,
      environment,
      requirements: { architectures: [hostArchitecture()], gpu: false },
      packages: wanted.map((name) => ({ name, version: installed.get(name)! })),
      installed: Object.fromEntries([...installed].sort(([a], [b]) => a.localeCompare(b))),
      libraries: this.plan.libraries,
      sizeBytes: tree.bytes,
      build: {
        builtAt: new Date().toISOString(),
        builtWith: this.base ? `apt on ${this.base.name}@${this.base.version}` : `mmdebstrap ${mmdebstrapVersion()}`,
        platform: hostPlatform(),
        archive,
        durationMs,
        joblet: this.s.jobletVersion,
      },
      smokeTest: this.plan.smokeTest,
      ...(this.plan.originalYaml !== undefined ? { originalYaml: this.plan.originalYaml } : {}),
    };
    const out = path.join(this.staging, 'out');
    fs.mkdirSync(out, { mode: 0o755 });
    fs.writeFileSync(path.join(out, MANIFEST_FILE), renderManifest(manifest), { mode: 0o644 });
    fs.renameSync(this.rootfs, path.join(out, 'rootfs'));
    return { outDir: out, manifest };
  }

  /** Keeps the shared apt cache under its cap, dropping what builds used least recently. */
  maintainCache(m: Manifest): void {
    const dir = this.s.runtimes.aptCacheDir;
    touchUsed(dir, m.installed, hostArchitecture());
    const freed = evict(dir, this.s.runtimes.aptCacheMaxMB * 1024 * 1024);
    if (freed.files) this.emit(logEvent(`joblet: dropped ${freed.files} package(s) (${formatSize(freed.bytes)}) from the apt cache (runtimes.aptCacheMaxMB)`, 'stdout'));
  }

  /** The error the user gets: a full disk says so, whatever failed first. */
  explain(err: unknown): JobletError {
    const code = (err as NodeJS.ErrnoException).code;
    if (this.diskFull || code === 'ENOSPC') {
      let free = '';
      try {
        free = `; ${formatSize(freeBytes(this.s.runtimesDir))} free now`;
      } catch {
        /* the directory may be gone */
      }
      return new JobletError('RESOURCE_EXHAUSTED', `runtime ${this.plan.name}: the disk holding ${this.s.runtimesDir} is full (No space left on device)${free}; the partial build was removed — free space and install again`);
    }
    if (err instanceof JobletError) return err;
    return new JobletError('INTERNAL', `runtime ${this.plan.name}: ${describeError(err)}`);
  }
}

/** cp -a of a trusted tree (an installed runtime) into an empty directory, keeping owners, modes and links. */
async function copyTree(from: string, to: string): Promise<void> {
  const { execFile } = require('node:child_process') as typeof import('node:child_process');
  await new Promise<void>((resolve, reject) =>
    execFile('cp', ['-a', '--reflink=auto', '--', `${from}/.`, `${to}/`], { maxBuffer: 1 << 20 }, (err, _out, stderr) =>
      err ? reject(new JobletError('INTERNAL', `copying the base runtime failed: ${stderr.trim() || err.message}`)) : resolve(),
    ),
  );
}

/** chown a tree (to `depth` levels; Infinity: all) to uid = gid = id, without following symlinks. */
function chownTree(dir: string, id: number, depth = Infinity): void {
  const visit = (p: string, d: number) => {
    const st = fs.lstatSync(p);
    if (st.uid !== id || st.gid !== id) fs.lchownSync(p, id, id);
    if (st.isDirectory() && d > 0) for (const n of fs.readdirSync(p)) visit(path.join(p, n), d - 1);
  };
  visit(dir, depth);
}

/** The last error lines of a step's output (or its last lines), for a one-line message. */
function lastErrors(lines: string[]): string {
  const errs = lines.filter((l) => /^(E:|dpkg: error|.*error)/i.test(l.trim())).slice(-3);
  const pick = errs.length ? errs : lines.slice(-3);
  return pick.map((l) => l.trim()).join(' | ').slice(0, 1000) || 'no output';
}

let mmdebstrapVersionCache: string | undefined;

function mmdebstrapVersion(): string {
  if (mmdebstrapVersionCache) return mmdebstrapVersionCache;
  try {
    const out = (require('node:child_process') as typeof import('node:child_process')).execFileSync('mmdebstrap', ['--version'], { encoding: 'utf8', timeout: 10_000 });
    mmdebstrapVersionCache = out.trim().replace(/^mmdebstrap\s*/, '');
  } catch {
    mmdebstrapVersionCache = 'unknown';
  }
  return mmdebstrapVersionCache;
}
