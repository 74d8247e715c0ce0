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
import { EXIT_UNRESOLVED, IN_BUILD, needsCustomize } from './build-script';
import { evict, touchUsed } from './cache';
import { missingPackages, parseSimulatedInstall, unmetDependencies, upstreamVersion } from './dpkg';
import { finalizeBuild, type BuildResult } from './finalize';
import type { Manifest } from './manifest';
import { logEvent, PackageTracker, PHASES, type BuildEvent, type PhaseName } from './progress';
import type { BuildPlan } from './recipes';
import { buildSources, describeArchive, hostArchitecture, hostPlatform, type SourceEntry } from './sources';
import { copyTree, prepareStaging } from './staging';
import { freeBytes, shiftIds } from './tree';

export type { BuildResult } from './finalize';

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
    const result = await b.finalize(archive, Date.now() - started);
    phase('Finalize', `${formatSize(result.manifest.sizeBytes)}, ${Object.keys(result.manifest.installed).length} packages`);
    const installPath = await o.place(result);
    phase('Install into place', installPath);
    b.maintainCache(result.manifest);
    return { installPath, manifest: result.manifest };
  } catch (err) {
    throw b.explain(err);
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

/** The state of one build between phases. */
class Build {
  private readonly work: string;
  private readonly rootfs: string;
  private diskFull = false;

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

  /** Phase 4: the staging directory (staging.ts). */
  prepare(entries: SourceEntry[], suite: string): void {
    fs.mkdirSync(path.join(this.s.runtimesDir, STAGING), { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.staging, { mode: 0o700 });
    const r = this.s.runtimes;
    prepareStaging({ work: this.work, plan: this.plan, baseRootfs: this.base?.rootfs, entries, suite, idBase: this.idBase, aptCacheDir: r.aptCacheDir, lockSeconds: r.buildTimeoutSeconds });
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
      await shiftIds(this.rootfs, 0, this.idBase, BUILD_ID_COUNT);
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

  /** Phase 8: ownership, inventory and the manifest (finalize.ts). */
  finalize(archive: string[], durationMs: number): Promise<BuildResult> {
    const base = this.base ? `${this.base.name}@${this.base.version}` : undefined;
    return finalizeBuild({ staging: this.staging, rootfs: this.rootfs, plan: this.plan, idBase: this.idBase, base, archive, durationMs, jobletVersion: this.s.jobletVersion });
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

/** The last error lines of a step's output (or its last lines), for a one-line message. */
function lastErrors(lines: string[]): string {
  const errs = lines.filter((l) => /^(E:|dpkg: error|.*error)/i.test(l.trim())).slice(-3);
  const pick = errs.length ? errs : lines.slice(-3);
  return pick.map((l) => l.trim()).join(' | ').slice(0, 1000) || 'no output';
}
