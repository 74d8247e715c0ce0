/**
 * A build's progress as the user sees it: the phases, and within the install phase the package
 * apt or dpkg is working on, read from their output lines ("Get:", "Unpacking", "Setting up").
 */

/** The phases of every build, in order (a customize phase is skipped for built-in runtimes). */
export const PHASES = [
  'Validate',
  'Detect platform',
  'Check disk space',
  'Prepare build directory',
  'Resolve packages',
  'Install packages',
  'Customize',
  'Finalize',
  'Install into place',
] as const;

/** Name of one phase. */
export type PhaseName = (typeof PHASES)[number];

/** What a build reports while it runs. */
export type BuildEvent =
  | { kind: 'phase'; phase: PhaseName; number: number; total: number; message: string; currentPackage?: string; packagesDone?: number; packagesTotal?: number }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; timestampNs: bigint };

/** A log event for a line of build output, its level taken from mmdebstrap's "I:/W:/E:" and apt's prefixes. */
export function logEvent(line: string, _stream: 'stdout' | 'stderr'): BuildEvent {
  // Only apt's and mmdebstrap's own prefixes: dpkg's routine warnings during an essential install
  // ("ignoring pre-dependency problem") are noise, not something a user must act on.
  // Expected in a build sandbox: its synthesized /etc has no apt directory, its /dev no console, and
  // /proc is bound from the sandbox (a fresh one cannot be mounted under the sandbox's masks).
  const harmless = /^W: (Unable to read \/etc\/apt\/|skipping creation of \.\/dev\/|since mounting \/proc normally failed)/.test(line);
  const level = /^(E:|dpkg: error processing)/.test(line) ? 'error' : /^W:/.test(line) && !harmless ? 'warn' : /^D:/.test(line) ? 'debug' : 'info';
  return { kind: 'log', level, message: line, timestampNs: BigInt(Date.now()) * 1_000_000n };
}

/** Follows apt/dpkg output and says which package is being handled, counting configured ones. */
export class PackageTracker {
  private readonly configured = new Set<string>();

  constructor(readonly total: number) {}

  /** The package a line is about, as "verb package", or undefined. */
  update(line: string): { current: string; done: number } | undefined {
    let m = /^Get:\d+ \S+ \S+ \S+ (\S+) \S+ (\S+) \[[\d.,]+ [kMG]?B\]$/.exec(line);
    if (m) return { current: `downloading ${m[1]} ${m[2]}`, done: this.configured.size };
    m = /^Unpacking (\S+) \((\S+)\)/.exec(line);
    if (m) return { current: `unpacking ${strip(m[1]!)} ${m[2]}`, done: this.configured.size };
    m = /^Setting up (\S+) \((\S+)\)/.exec(line);
    if (m) {
      this.configured.add(strip(m[1]!));
      return { current: `setting up ${strip(m[1]!)} ${m[2]}`, done: this.configured.size };
    }
    return undefined;
  }
}

function strip(pkg: string): string {
  return pkg.replace(/:[a-z0-9]+$/, '');
}
