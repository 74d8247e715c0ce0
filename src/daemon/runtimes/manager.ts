/**
 * The runtime manager: owns the installed runtimes and their builds. It installs built-in recipes
 * and user runtime.yaml files (build.ts), lists and removes runtimes, resolves what `--runtime`
 * names (lookup, also for workflows), and lends runtimes to jobs as a JobResource: admit() refuses
 * an unknown or missing runtime before a job exists, acquire() hands the sandbox the runtime's
 * root (replacing the host's /usr) and its environment, and holds the runtime so it cannot be
 * removed or replaced while the job runs; release() lets go.
 *
 * Builds run one at a time (they are heavy, and all share the apt cache); a second install of a
 * runtime that is being built is refused, an install of another one waits its turn.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, JobletError, NotFoundError, describeError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import type { ServerConfig } from '../../shared/config/server';
import type { JobRecord } from '../../store/job-record';
import type { JobResource } from '../jobs/manager';
import type { RuntimeCatalogue } from '../workflows/prepare';
import { jobEnvironment, type SpecSettings } from '../jobs/sandbox-spec';
import { runBuild, type BuildResult } from './build';
import type { BuildSandboxDeps } from './build-sandbox';
import { emptyTrash, loadInstalled, moveToTrash, runtimeKey, scanRuntimes, type Installed } from './installed';
import type { BuildEvent } from './progress';
import { builtinPlans, languageBase, normalizeRef, type BuildPlan } from './recipes';
import { hostPlatform } from './sources';
import { treeSize } from './tree';
import { checkRuntimeYaml, type YamlCheck } from './yaml';
import { checkRef, checkUnused, compareVersions, installedView, recipeView, type RuntimeView } from './views';

export type { RuntimeView } from './views';

/** Runtime settings from the server config. */
export interface RuntimeSettings {
  stateDir: string;
  runtimes: ServerConfig['runtimes'];
  jobletVersion: string;
  /** Job settings, for the environment of jobs that use a runtime. */
  spec: SpecSettings;
}

/** How a finished build or install went. */
export interface BuildOutcome {
  success: boolean;
  message: string;
  name: string;
  version: string;
  installPath: string;
  sizeBytes: number;
  durationMs: number;
}

/** Owns every runtime of this daemon. */
export class RuntimeManager {
  private readonly dir: string;
  private readonly installed = new Map<string, Installed>();
  private readonly builtins = builtinPlans();
  /** Runtime names being built now or waiting to. */
  private readonly building = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly shutdownCtl = new AbortController();

  constructor(
    private readonly s: RuntimeSettings,
    private readonly deps: { build: BuildSandboxDeps; log: (msg: string) => void },
  ) {
    this.dir = path.join(s.stateDir, 'runtimes');
    const r = s.runtimes;
    const inBuildRange = (id: number) => id >= r.buildIdBase && id < r.buildIdBase + 65536;
    if (inBuildRange(s.spec.uid) || inBuildRange(s.spec.gid)) {
      throw new JobletError('CONFIG', `runtimes.buildIdBase: the range ${r.buildIdBase}-${r.buildIdBase + 65535} contains jobs.uid/gid; builds need ids of their own`);
    }
  }

  /** Read what is installed and clear what interrupted builds left. */
  start(): void {
    for (const e of scanRuntimes(this.dir, this.deps.log)) {
      this.installed.set(runtimeKey(e.name, e.version), e);
      if (e.problem) this.deps.log(`runtime ${e.name} ${e.version} cannot be used: ${e.problem}`);
    }
  }

  /** Installed runtimes and the built-ins not installed, by name. */
  list(): RuntimeView[] {
    const views: RuntimeView[] = [...this.installed.values()].map((e) => installedView(e, this.builtins.find((b) => b.name === e.name)));
    for (const plan of this.builtins) {
      if (!views.some((v) => v.name === plan.name)) views.push(recipeView(plan, this.building.has(plan.name)));
    }
    return views.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(b.version, a.version));
  }

  /** One runtime by name or alias (optionally @version): installed first, else the built-in recipe; undefined when unknown. */
  info(ref: string): RuntimeView | undefined {
    checkRef(ref);
    const e = this.find(ref);
    if (e) return installedView(e, this.builtins.find((b) => b.name === e.name));
    const plan = this.builtin(ref);
    return plan ? recipeView(plan, this.building.has(plan.name)) : undefined;
  }

  /**
   * The installed runtime `ref` names (name, alias, name@version; the newest version when none is
   * given). Throws NotFound listing what is installed and how to install: what `rnx run --runtime`
   * and workflow jobs get before anything is created.
   */
  lookup(ref: string): Installed {
    checkRef(ref);
    const e = this.find(ref);
    if (e && !e.problem && !e.removing) return e;
    if (e?.removing) throw new FailedPreconditionError(`runtime ${e.name} ${e.version} is being removed`);
    if (e?.problem) throw new FailedPreconditionError(`runtime ${e.name} ${e.version} cannot be used: ${e.problem}; remove it and install it again`);
    const usable = [...this.installed.values()].filter((x) => !x.problem).map((x) => runtimeKey(x.name, x.version)).sort();
    const have = usable.length ? `installed: ${usable.join(', ')}` : 'no runtimes are installed';
    const plan = this.builtin(ref);
    const how = plan
      ? `install it with 'rnx runtime install ${plan.name}'`
      : `see 'rnx runtime list' for the built-in runtimes, or build your own with 'rnx runtime build FILE.yaml'`;
    const { name } = normalizeRef(ref);
    const known = plan ? `runtime '${printable(ref)}' (${plan.name}) is not installed` : `runtime '${printable(ref)}' is not installed${this.builtins.some((b) => b.name === name) ? '' : ' and is not a built-in runtime'}`;
    throw new NotFoundError(`${known} (${have}); ${how}`);
  }

  private find(ref: string): Installed | undefined {
    const { name, version } = normalizeRef(ref);
    const canonical = this.builtins.find((b) => b.aliases.some((a) => normalizeRef(a).name === name))?.name ?? name;
    const versions = [...this.installed.values()].filter((e) => e.name === canonical && (version === undefined || e.version === version));
    return versions.sort((a, b) => compareVersions(b.version, a.version))[0];
  }

  private builtin(ref: string): BuildPlan | undefined {
    const { name, version } = normalizeRef(ref);
    const plan = this.builtins.find((b) => b.name === name || b.aliases.some((a) => normalizeRef(a).name === name));
    return plan && (version === undefined || version === plan.version) ? plan : undefined;
  }

  /** Install a built-in runtime (a new build even when installed, with `force`). */
  async install(ref: string, force: boolean, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<BuildOutcome> {
    checkRef(ref);
    const plan = this.builtin(ref);
    if (!plan) {
      const names = this.builtins.map((b) => `${b.name} (${b.aliases.join(', ')})`).join('; ');
      throw new NotFoundError(`'${printable(ref)}' is not a built-in runtime: built-ins are ${names}; build your own with 'rnx runtime build FILE.yaml'`);
    }
    return this.runPlan(plan, force, emit, signal);
  }

  /** Check a user runtime.yaml (ValidateRuntimeYAML). */
  validate(text: string): YamlCheck {
    return checkRuntimeYaml(text, { builtinNames: new Set(this.builtins.flatMap((b) => [b.name, ...b.aliases.map((a) => normalizeRef(a).name)])), platform: hostPlatform() });
  }

  /** Build a user runtime from its runtime.yaml; with dryRun only checks it. */
  async build(text: string, opts: { dryRun: boolean; force: boolean }, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<BuildOutcome> {
    const check = this.validate(text);
    if (!check.plan) throw new InvalidArgumentError(`runtime.yaml is invalid: ${check.errors.join('; ')}`);
    for (const w of check.warnings) emit({ kind: 'log', level: 'warn', message: w, timestampNs: BigInt(Date.now()) * 1_000_000n });
    if (opts.dryRun) {
      const p = check.plan;
      return { success: true, message: `dry run: ${p.name} ${p.version} is valid; it would install ${p.packages.join(', ')}`, name: p.name, version: p.version, installPath: '', sizeBytes: 0, durationMs: 0 };
    }
    return this.runPlan(check.plan, opts.force, emit, signal);
  }

  private async runPlan(plan: BuildPlan, force: boolean, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<BuildOutcome> {
    const key = runtimeKey(plan.name, plan.version);
    const current = this.installed.get(key);
    if (current && !force && !current.problem) {
      throw new AlreadyExistsError(`runtime ${plan.name} ${plan.version} is already installed (${current.dir}); add --force to build it again`);
    }
    if (current) checkUnused(current, 'replaced');
    const other = this.building.get(plan.name);
    if (other) throw new FailedPreconditionError(`runtime ${plan.name} is already being installed (${other}); wait for that install to finish`);
    this.building.set(plan.name, `started ${new Date().toISOString()}`);
    const both = anySignal([signal, this.shutdownCtl.signal]);
    try {
      const waited = this.queue;
      let turn!: () => void;
      this.queue = new Promise<void>((r) => (turn = r));
      const waiting = setTimeout(() => emit({ kind: 'log', level: 'info', message: 'waiting for another runtime build on this server to finish', timestampNs: BigInt(Date.now()) * 1_000_000n }), 200);
      await waited;
      clearTimeout(waiting);
      const started = Date.now();
      const base = this.baseFor(plan);
      // The base is held like a job holds a runtime: it cannot be removed while being copied.
      const holder = `build of ${plan.name}`;
      const baseEntry = base && this.installed.get(runtimeKey(base.name, base.version));
      baseEntry?.users.add(holder);
      try {
        if (both.aborted) throw new JobletError('UNAVAILABLE', `the build of ${plan.name} was cancelled`);
        const { installPath, manifest } = await runBuild(this.deps.build, { runtimesDir: this.dir, runtimes: this.s.runtimes, jobletVersion: this.s.jobletVersion }, plan, {
          emit,
          signal: both,
          place: async (r) => this.place(plan, r, force),
          base,
        });
        const durationMs = Date.now() - started;
        this.deps.log(`runtime ${plan.name} ${plan.version} installed in ${Math.round(durationMs / 1000)}s (${installPath})`);
        return { success: true, message: `runtime ${plan.name} ${plan.version} installed`, name: plan.name, version: plan.version, installPath, sizeBytes: manifest.sizeBytes, durationMs };
      } finally {
        baseEntry?.users.delete(holder);
        turn();
      }
    } finally {
      this.building.delete(plan.name);
    }
  }

  /**
   * The installed runtime a build can start from instead of a new root: the plain built-in of its
   * language and version (python-3.11 for python 3.11 and for python-3.11-ml, openjdk-17,
   * nodejs-18), never one with extra packages, and never for that plain built-in itself.
   */
  private baseFor(plan: BuildPlan): { name: string; version: string; rootfs: string } | undefined {
    const recipe = this.builtins.find(
      (b) => b.language === plan.language && b.languageVersion === plan.languageVersion && b.packages.length === languageBase(b.language, b.languageVersion).packages.length,
    );
    if (!recipe || recipe.name === plan.name) return undefined;
    const e = recipe && this.find(recipe.name);
    return e && !e.problem && !e.removing ? { name: e.name, version: e.version, rootfs: e.rootfs } : undefined;
  }

  /** The build's last phase: rename the result into place, replacing an unused older build of the same version. */
  private async place(plan: BuildPlan, r: BuildResult, force: boolean): Promise<string> {
    const key = runtimeKey(plan.name, plan.version);
    const target = path.join(this.dir, plan.name, plan.version);
    const old = this.installed.get(key);
    fs.mkdirSync(path.join(this.dir, plan.name), { recursive: true, mode: 0o755 });
    if (old || fs.existsSync(target)) {
      if (!force && old && !old.problem) throw new AlreadyExistsError(`runtime ${plan.name} ${plan.version} was installed meanwhile`);
      if (old) checkUnused(old, 'replaced');
      if (old) old.removing = true;
      this.installed.delete(key);
    }
    const trashed = fs.existsSync(target) ? moveToTrash(this.dir, target, `${plan.name}-${plan.version}`) : undefined;
    fs.renameSync(r.outDir, target);
    this.installed.set(key, loadInstalled(target, plan.name, plan.version));
    if (trashed) void emptyTrash(trashed, this.deps.log);
    return target;
  }

  /** Remove a runtime (every installed version unless `name@version`); refused while a job uses it. */
  async remove(ref: string): Promise<{ removed: string[]; freedBytes: number }> {
    checkRef(ref);
    const { version } = normalizeRef(ref);
    const first = this.find(ref);
    if (!first) {
      const plan = this.builtin(ref);
      throw new NotFoundError(`runtime '${printable(ref)}' is not installed${plan ? ` (${plan.name} is a built-in runtime you can install)` : ''} (see 'rnx runtime list')`);
    }
    const victims = [...this.installed.values()].filter((e) => e.name === first.name && (version === undefined || e.version === version));
    if (this.building.has(first.name)) throw new FailedPreconditionError(`runtime ${first.name} is being installed; wait for that to finish`);
    for (const e of victims) checkUnused(e, 'removed');
    let freed = 0;
    const removed: string[] = [];
    for (const e of victims) {
      e.removing = true;
      const size = e.manifest?.sizeBytes ?? (await treeSize(e.rootfs));
      let trashed: string;
      try {
        trashed = moveToTrash(this.dir, e.dir, `${e.name}-${e.version}`);
      } catch (err) {
        e.removing = false;
        throw new JobletError('INTERNAL', `cannot remove runtime ${e.name} ${e.version}: ${describeError(err)}`);
      }
      this.installed.delete(runtimeKey(e.name, e.version));
      await emptyTrash(trashed, this.deps.log);
      freed += size;
      removed.push(runtimeKey(e.name, e.version));
    }
    try {
      fs.rmdirSync(path.join(this.dir, first.name));
    } catch {
      /* other versions remain */
    }
    return { removed, freedBytes: freed };
  }

  /** The JobResource that puts a job's runtime in place of the host's /usr. */
  /** The installed runtimes as workflows check them: a name or alias to NAME@VERSION (lookup's message when it cannot be used). */
  catalogue(): RuntimeCatalogue {
    return {
      resolve: (ref) => {
        const e = this.lookup(ref);
        return runtimeKey(e.name, e.version);
      },
      installed: () => [...this.installed.values()].filter((e) => !e.problem && !e.removing).map((e) => runtimeKey(e.name, e.version)).sort(),
    };
  }

  resource(): JobResource {
    return {
      name: 'runtime',
      admit: (req) => {
        if (!req.runtime) return req;
        const e = this.lookup(req.runtime);
        return { ...req, runtime: runtimeKey(e.name, e.version) };
      },
      acquire: async (job: JobRecord) => {
        if (!job.runtime) return { release: async () => undefined };
        const e = this.lookup(job.runtime);
        e.users.add(job.id);
        return {
          spec: { readOnlyBinds: [], runtime: { rootfs: e.rootfs }, env: jobEnvironment(job, this.s.spec, e.manifest?.environment ?? {}) },
          release: async () => void e.users.delete(job.id),
        };
      },
    };
  }

  /** Cancel running builds (their staging directories go) and wait for them. */
  async shutdown(): Promise<void> {
    this.shutdownCtl.abort();
    await this.queue.catch(() => undefined);
  }
}

/** An AbortSignal that fires when any of `signals` does. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const ctl = new AbortController();
  for (const s of signals) {
    if (s.aborted) ctl.abort();
    else s.addEventListener('abort', () => ctl.abort(), { once: true });
  }
  return ctl.signal;
}
