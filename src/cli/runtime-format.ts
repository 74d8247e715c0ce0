/**
 * Renderings shared by the `rnx runtime` commands and the console's runtimes page: the stable JSON
 * form of a runtime (documented in README.md), the words of each build progress event and of the
 * build's result, and the terminal's live view of a build (phases, the package being installed,
 * the log).
 */
import type { BuildLogLine, BuildPhaseProgress, BuildResult, BuildRuntimeProgress, RuntimeInfo } from '../gen/joblet';
import { formatSize } from '../shared/limits';
import { safeText } from './format';

/** A runtime as `rnx runtime list --json` (each element) and `rnx runtime info --json` print it. */
export interface RuntimeJson {
  name: string;
  version: string;
  status: string;
  builtin: boolean;
  aliases: string[];
  description: string;
  language: string;
  languageVersion: string;
  sizeBytes: number;
  /** The packages the runtime was asked for: NAME=VERSION once installed, NAME before. */
  packages: string[];
  /** Number of packages in its root filesystem (0 until installed). */
  packageCount: number;
  environment: Record<string, string>;
  installPath: string;
  jobs: number;
  problem: string;
  build: { builtAt: string; builtWith: string; platform: string; archive: string[]; durationMs: number } | null;
  /** Only in `info`: every package of the root filesystem. */
  installedPackages?: { name: string; version: string }[];
}

/** The stable JSON form of a RuntimeInfo (`full`: with every installed package, as GetRuntimeInfo sends them). */
export function runtimeJson(r: RuntimeInfo, full: boolean): RuntimeJson {
  const b = r.buildInfo;
  return {
    name: r.name,
    version: r.version,
    status: r.status || (r.available ? 'installed' : 'available'),
    builtin: r.builtin,
    aliases: r.aliases,
    description: r.description,
    language: r.language,
    languageVersion: r.languageVersion,
    sizeBytes: r.sizeBytes,
    packages: r.packages,
    packageCount: r.packageCount,
    environment: r.environment,
    installPath: r.installPath,
    jobs: r.jobCount,
    problem: r.problem,
    build: b ? { builtAt: b.builtAt, builtWith: b.builtWith, platform: b.platform, archive: b.archive, durationMs: b.durationMs } : null,
    ...(full ? { installedPackages: r.installedPackages } : {}),
  };
}

/** Where progress goes and how it is shown. */
export interface ProgressOutput {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  json: boolean;
  verbose: boolean;
}

/**
 * Shows a build stream: every phase as "[n/N] Phase: message"; while packages install, the current
 * one on a status line that updates in place on a terminal (elsewhere a line at every tenth of the
 * packages); warnings and errors of the log always, every log line with --verbose. --json prints
 * one JSON object per event (NDJSON). Returns the result; a failed build also returns the last
 * log lines for the error report.
 */
export async function followBuild(stream: AsyncIterable<BuildRuntimeProgress>, o: ProgressOutput): Promise<{ result?: BuildResult; tail: string[] }> {
  const tty = !o.json && !!o.stdout.isTTY;
  const tail: string[] = [];
  let status = false;
  let lastTenth = -1;
  let result: BuildResult | undefined;
  const clear = () => {
    if (status) o.stdout.write('\r\x1b[2K');
    status = false;
  };
  for await (const ev of stream) {
    const p = ev.progressType;
    if (!p) continue;
    if (o.json) {
      o.stdout.write(`${JSON.stringify(eventJson(ev))}\n`);
      if (p.$case === 'result') result = p.result;
      continue;
    }
    if (p.$case === 'phase') {
      const ph = p.phase;
      const line = phaseLine(ph);
      if (ph.currentPackage && ph.packagesTotal) {
        if (tty) {
          clear();
          o.stdout.write(line.slice(0, 160));
          status = true;
        } else {
          const tenth = Math.floor((ph.packagesDone * 10) / ph.packagesTotal);
          if (tenth !== lastTenth) o.stdout.write(`${line}\n`);
          lastTenth = tenth;
        }
        continue;
      }
      clear();
      o.stdout.write(`${line}\n`);
    } else if (p.$case === 'log') {
      const text = safeText(p.log.message);
      tail.push(text);
      if (tail.length > 15) tail.shift();
      if (o.verbose || p.log.level === 'warn' || p.log.level === 'error') {
        clear();
        o.stdout.write(`  ${logLine(p.log)}\n`);
      }
    } else {
      clear();
      result = p.result;
    }
  }
  clear();
  return { result, tail };
}

/** A phase as one line: "[5/9] Resolve packages: 93 packages to install". */
export function phaseLine(ph: BuildPhaseProgress): string {
  return `[${ph.phaseNumber}/${ph.totalPhases}] ${ph.phaseName}: ${safeText(ph.message)}`;
}

/** A build log line, marked with its level when it is a warning or an error: "[WARN] W: …". */
export function logLine(log: BuildLogLine): string {
  return `${log.level === 'info' || log.level === 'debug' ? '' : `[${log.level.toUpperCase()}] `}${safeText(log.message)}`;
}

/** How a build ended, in the words rnx prints: the success sentence, or the failure's one-line reason. */
export function resultLines(r: BuildResult): string[] {
  if (!r.success || !r.installPath) return [safeText(r.message)];
  return [
    safeText(`Runtime ${r.runtimeName} ${r.runtimeVersion} installed in ${seconds(r.buildDurationMs)}: ${sizeText(r.sizeBytes)} at ${r.installPath}`),
    `Use it: rnx run --runtime=${r.runtimeName} <command>   Check it: rnx runtime test ${r.runtimeName}`,
  ];
}

/** The JSON line of one event. */
function eventJson(ev: BuildRuntimeProgress): unknown {
  const p = ev.progressType!;
  if (p.$case === 'phase') return { type: 'phase', ...p.phase };
  if (p.$case === 'log') return { type: 'log', level: p.log.level, message: p.log.message, timestamp: p.log.timestamp };
  return { type: 'result', ...p.result };
}

/** "348.2MB" or "-" for nothing. */
export function sizeText(bytes: number): string {
  return bytes > 0 ? formatSize(bytes) : '-';
}

/** "12.3s" / "2m05s". */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
