/**
 * Phase 8 of a build: the daemon takes the result over — root ownership back, no set-id bits —,
 * checks it holds what was asked for, and writes runtime.yml beside it in `<staging>/out`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../../shared/errors';
import { BUILD_ID_COUNT } from './build-sandbox';
import { parseDpkgStatus, upstreamVersion } from './dpkg';
import { MANIFEST_FILE, renderManifest, type Manifest } from './manifest';
import type { BuildPlan } from './recipes';
import { hostArchitecture, hostPlatform } from './sources';
import { finalizeTree, isRealDir, readInside } from './tree';

/** Where a build's result waits to be renamed into place. */
export interface BuildResult {
  /** `<staging>/out`: runtime.yml and rootfs/. */
  outDir: string;
  manifest: Manifest;
}

/** What the finished build is and how it came about. */
export interface FinalizeInput {
  staging: string;
  rootfs: string;
  plan: BuildPlan;
  idBase: number;
  /** "name@version" of the runtime it started from, for a derived build. */
  base?: string;
  archive: string[];
  durationMs: number;
  jobletVersion: string;
}

/** Ownership, inventory and the manifest; moves the root to `<staging>/out/rootfs`. */
export async function finalizeBuild(i: FinalizeInput): Promise<BuildResult> {
  const { plan, rootfs } = i;
  if (!isRealDir(path.join(rootfs, 'usr'))) throw new JobletError('INTERNAL', 'the build produced no usr directory');
  const tree = await finalizeTree(rootfs, i.idBase, BUILD_ID_COUNT);
  const installed = parseDpkgStatus(readInside(rootfs, 'var/lib/dpkg/status') ?? '');
  const wanted = plan.packages.map((p) => p.replace(/[=/].*$/, ''));
  const absent = wanted.filter((p) => !installed.has(p));
  if (absent.length) throw new JobletError('INTERNAL', `the build finished but ${absent.join(', ')} is not installed in it`);
  const environment = { ...plan.environment };
  if (environment.JAVA_HOME && !isRealDir(path.join(rootfs, environment.JAVA_HOME))) {
    throw new JobletError('INTERNAL', `the build has no ${environment.JAVA_HOME} (JAVA_HOME)`);
  }
  const manifest: Manifest = {
    schema: 1,
    name: plan.name,
    version: plan.version,
    language: plan.language,
    languageVersion: upstreamVersion(installed.get(plan.languagePackage)!),
    description: plan.description,
    builtin: plan.builtin,
    aliases: plan.aliases,
    environment,
    requirements: { architectures: [hostArchitecture()], gpu: false },
    packages: wanted.map((name) => ({ name, version: installed.get(name)! })),
    installed: Object.fromEntries([...installed].sort(([a], [b]) => a.localeCompare(b))),
    libraries: plan.libraries,
    sizeBytes: tree.bytes,
    build: {
      builtAt: new Date().toISOString(),
      builtWith: i.base ? `apt on ${i.base}` : `mmdebstrap ${mmdebstrapVersion()}`,
      platform: hostPlatform(),
      archive: i.archive,
      durationMs: i.durationMs,
      joblet: i.jobletVersion,
    },
    smokeTest: plan.smokeTest,
    ...(plan.originalYaml !== undefined ? { originalYaml: plan.originalYaml } : {}),
  };
  const out = path.join(i.staging, 'out');
  fs.mkdirSync(out, { mode: 0o755 });
  fs.writeFileSync(path.join(out, MANIFEST_FILE), renderManifest(manifest), { mode: 0o644 });
  fs.renameSync(rootfs, path.join(out, 'rootfs'));
  return { outDir: out, manifest };
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
