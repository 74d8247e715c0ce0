/**
 * Runtimes to wire messages: RuntimeInfo (the original's fields 1–13 plus ours from 1000) and the
 * BuildRuntimeProgress stream shared by BuildRuntime and InstallRuntime.
 */
import type { BuildRuntimeProgress, RuntimeInfo } from '../gen/joblet';
import { describeError } from '../shared/errors';
import type { BuildOutcome, RuntimeView } from './runtimes/manager';
import type { BuildEvent } from './runtimes/progress';

/** A runtime as ListRuntimes (without the full package list) or GetRuntimeInfo (`full`) returns it. */
export function toRuntimeInfo(v: RuntimeView, full: boolean): RuntimeInfo {
  const m = v.installed?.manifest;
  const requested = m ? m.packages.map((p) => `${p.name}=${p.version}`) : (v.plan?.packages ?? []);
  return {
    name: v.name,
    language: v.language,
    version: v.version,
    description: v.description,
    sizeBytes: m?.sizeBytes ?? 0,
    packages: requested,
    available: v.status === 'installed',
    requirements: { architectures: m?.requirements.architectures ?? [], gpu: false },
    languageVersion: v.languageVersion,
    libraries: m?.libraries ?? v.plan?.libraries ?? [],
    environment: m?.environment ?? v.plan?.environment ?? {},
    buildInfo: m
      ? { builtAt: m.build.builtAt, builtWith: m.build.builtWith, platform: m.build.platform, archive: m.build.archive, durationMs: m.build.durationMs, jobletVersion: m.build.joblet }
      : undefined,
    originalYaml: full ? (m?.originalYaml ?? '') : '',
    status: v.status,
    aliases: v.aliases,
    installPath: v.installed?.dir ?? '',
    builtin: v.builtin,
    installedPackages: full && m ? Object.entries(m.installed).map(([name, version]) => ({ name, version })) : [],
    jobCount: v.jobs,
    problem: v.installed?.problem ?? '',
    packageCount: m ? Object.keys(m.installed).length : 0,
  };
}

/** One build event on the wire. */
export function toProgress(e: BuildEvent): BuildRuntimeProgress {
  if (e.kind === 'log') return { progressType: { $case: 'log', log: { level: e.level, message: e.message, timestamp: e.timestampNs.toString() } } };
  return {
    progressType: {
      $case: 'phase',
      phase: {
        phaseNumber: e.number,
        totalPhases: e.total,
        phaseName: e.phase,
        message: e.message,
        currentPackage: e.currentPackage ?? '',
        packagesDone: e.packagesDone ?? 0,
        packagesTotal: e.packagesTotal ?? 0,
      },
    },
  };
}

/**
 * Runs a build and streams its events, then one result. A refusal before the build started
 * (unknown runtime, already installed, in use, invalid YAML) is a gRPC error with its code; a
 * failure during the build ends the stream with `result.success = false` and the reason.
 */
export async function* streamBuild(
  run: (emit: (e: BuildEvent) => void, signal: AbortSignal) => Promise<BuildOutcome>,
  signal: AbortSignal,
  keep: (e: BuildEvent) => boolean = () => true,
): AsyncGenerator<BuildRuntimeProgress> {
  const queue: BuildRuntimeProgress[] = [];
  let wake: (() => void) | undefined;
  let started = false;
  let done = false;
  let outcome: BuildOutcome | undefined;
  let failure: unknown;
  void run((e) => {
    started = true;
    if (!keep(e)) return;
    queue.push(toProgress(e));
    wake?.();
  }, signal)
    .then(
      (o) => (outcome = o),
      (err) => (failure = err ?? new Error('build failed')),
    )
    .finally(() => {
      done = true;
      wake?.();
    });
  for (;;) {
    while (queue.length > 0) yield queue.shift()!;
    if (done) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  if (failure !== undefined && !started) throw failure;
  const o = outcome;
  yield {
    progressType: {
      $case: 'result',
      result: o
        ? { success: o.success, message: o.message, runtimeName: o.name, runtimeVersion: o.version, installPath: o.installPath, sizeBytes: o.sizeBytes, buildDurationMs: o.durationMs }
        : { success: false, message: describeError(failure), runtimeName: '', runtimeVersion: '', installPath: '', sizeBytes: 0, buildDurationMs: 0 },
    },
  };
}
