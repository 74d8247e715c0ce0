/**
 * A job's limits as a user types them — the texts after `--max-cpu`, `--max-memory`, `--timeout`…
 * — parsed into the RunJobRequest fields, with the ranges of the `rnx run` flags. The console's
 * run form and the MCP server's joblet_run_job share it, each naming the values its own way (the
 * flag, or the tool parameter) in refusals. Syntax and ranges only; the server applies its ceilings.
 */
import { formatCores, parseCores, parseDuration, parsePositiveInt, parseSize } from './limits';

/** Limits as texts; '' or absent = the server's default. */
export interface LimitTexts {
  maxCpu?: string;
  cpuCores?: string;
  maxMemory?: string;
  maxIobps?: string;
  maxPids?: string;
  maxDisk?: string;
  timeout?: string;
}

/** The limit fields of a RunJobRequest (0 / '' = the server's default). */
export interface RunLimitFields {
  maxCpu: number;
  cpuCores: string;
  maxMemory: number;
  maxIoBps: number;
  maxPids: number;
  maxDiskBytes: string;
  timeout: string;
}

/** The rnx flag of each limit. */
export const LIMIT_FLAG: Record<keyof LimitTexts, string> = {
  maxCpu: '--max-cpu',
  cpuCores: '--cpu-cores',
  maxMemory: '--max-memory',
  maxIobps: '--max-iobps',
  maxPids: '--max-pids',
  maxDisk: '--max-disk',
  timeout: '--timeout',
};

/** Parse limits; `name` gives the word refusals use for each (default: the rnx flag). */
export function parseLimitTexts(t: LimitTexts, name: (key: keyof LimitTexts) => string = (k) => LIMIT_FLAG[k]): RunLimitFields {
  const get = (k: keyof LimitTexts) => (t[k] ?? '').trim();
  const opt = <T>(k: keyof LimitTexts, parse: (text: string, label: string) => T, none: T): T => (get(k) ? parse(get(k), name(k)) : none);
  return {
    maxCpu: opt('maxCpu', (v, n) => parsePositiveInt(n, v, 1, 409600, 'percent of one core'), 0),
    cpuCores: opt('cpuCores', (v, n) => formatCores(parseCores(n, v)), ''),
    maxMemory: opt('maxMemory', (v, n) => parsePositiveInt(n, v, 4, 4194304, 'MB'), 0),
    maxIoBps: opt('maxIobps', (v, n) => parsePositiveInt(n, v, 1024, 2147483647, 'bytes per second'), 0),
    maxPids: opt('maxPids', (v, n) => parsePositiveInt(n, v, 1, 4194304, 'processes and threads'), 0),
    maxDiskBytes: String(opt('maxDisk', (v, n) => parseSize(n, v, 65536, 2 ** 40), 0)),
    timeout: opt(
      'timeout',
      (v, n) => {
        parseDuration(n, v);
        return v;
      },
      '',
    ),
  };
}
