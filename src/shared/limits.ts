/**
 * Resource limits as users write them (`--max-cpu=250`, `--cpu-cores=0-1,4`, `--timeout=2h30m`,
 * `--max-disk=10MB`): parsing shared by rnx (to refuse bad input before any network traffic) and
 * the daemon (which must not trust any client). Every refusal names the flag and what is allowed.
 */
import { InvalidArgumentError } from './errors';
import { printable } from './ids';

/** Largest CPU core index we accept in a spec (the daemon checks against the real host). */
const MAX_CORE = 4095;

/** A positive decimal integer, refusing signs, fractions, exponents and overflow. */
export function parsePositiveInt(flag: string, text: string, min: number, max: number, unit = ''): number {
  const t = text.trim();
  const range = `${min}-${max}${unit ? ` ${unit}` : ''}`;
  if (!/^\d{1,16}$/.test(t)) throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a whole number; allowed: ${range}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag}: ${printable(t)} is out of range; allowed: ${range}`);
  return n;
}

/** Parse a CPU core list such as "0-3", "1,3,5" or "0-1,4"; returns the sorted core numbers. */
export function parseCores(flag: string, spec: string): number[] {
  const cores = new Set<number>();
  const s = spec.trim();
  if (s === '') throw new InvalidArgumentError(`${flag}: empty core list; use e.g. 0-3, 1,3,5 or 0-1,4`);
  for (const part of s.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError(`${flag}: '${printable(part)}' is not a core or a range; use e.g. 0-3, 1,3,5 or 0-1,4`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new InvalidArgumentError(`${flag}: range '${part}' goes backwards; write it low-high, e.g. ${b}-${a}`);
    if (b > MAX_CORE) throw new InvalidArgumentError(`${flag}: core ${b} does not exist (cores are numbered from 0)`);
    for (let c = a; c <= b; c++) {
      if (cores.has(c)) throw new InvalidArgumentError(`${flag}: core ${c} is listed twice`);
      cores.add(c);
    }
  }
  return [...cores].sort((x, y) => x - y);
}

/** Canonical text of a core list: [0,1,2,4] → "0-2,4". */
export function formatCores(cores: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < cores.length; ) {
    let j = i;
    while (j + 1 < cores.length && cores[j + 1] === cores[j]! + 1) j++;
    out.push(i === j ? `${cores[i]}` : `${cores[i]}-${cores[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

const DURATION_UNITS: Record<string, number> = { h: 3600_000, m: 60_000, s: 1000, ms: 1 };

/** Parse "90s", "5m", "2h30m", "1h15m30s" to milliseconds (at least 1 s, at most `maxMs`). */
export function parseDuration(flag: string, text: string, maxMs = 366 * 24 * 3600_000): number {
  const t = text.trim();
  if (!/^(\d{1,9}(h|ms|m|s))+$/.test(t)) throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a duration; use e.g. 90s, 5m or 2h30m`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+)(h|ms|m|s)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  if (ms < 1000 || ms > maxMs) throw new InvalidArgumentError(`${flag}: ${t} is out of range; allowed: 1s to ${formatDuration(maxMs)}`);
  return ms;
}

/** 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  const h = Math.floor(ms / 3600_000);
  const m = Math.floor((ms % 3600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, T: 1024 ** 4, TB: 1024 ** 4 };

/** Parse "500MB", "1.5GB", "1048576" (1024-based) to bytes, between min and max. */
export function parseSize(flag: string, text: string, min: number, max: number): number {
  const m = /^(\d{1,12}(?:\.\d{1,6})?)\s*([KMGT]?B?)$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a size; use e.g. 500MB or 1GB`);
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    throw new InvalidArgumentError(`${flag}: ${text.trim()} is out of range; allowed: ${formatSize(min)} to ${formatSize(max)}`);
  }
  return bytes;
}

/** 1572864 → "1.5MB". */
export function formatSize(bytes: number): string {
  for (const [u, f] of [['TB', 1024 ** 4], ['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes >= f) return `${+(bytes / f).toFixed(1)}${u}`;
  }
  return `${bytes}B`;
}
