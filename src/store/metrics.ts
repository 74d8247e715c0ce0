/**
 * Per-job metrics samples in SQLite (table job_metrics, migration 3 of db.ts): one row per job and
 * sample time, numbers as columns (a compact row, ~100 bytes), NULL where the host could not
 * tell. Rows go with their job (a trigger on jobs) and when older than the retention (prune()).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Database } from './db';

/** PSI avg10 values of a job's cgroup, percent. */
export interface SamplePressure {
  cpuSome: number;
  memorySome: number;
  memoryFull: number;
  ioSome: number;
  ioFull: number;
}

/**
 * One sample of a running job. Byte and time counters are totals since the job started;
 * cpuPercent is over the `intervalMs` before `at` (100 = one core).
 */
export interface JobSample {
  jobId: string;
  /** Unix milliseconds. */
  at: number;
  intervalMs: number;
  cpuPercent: number;
  cpuUsageUsec?: number;
  memoryBytes?: number;
  memoryPeakBytes?: number;
  memoryLimitBytes?: number;
  ioReadBytes?: number;
  ioWriteBytes?: number;
  /** Bytes the job received and sent on its network interface. */
  netRxBytes?: number;
  netTxBytes?: number;
  processCount?: number;
  cpuPeriods?: number;
  cpuThrottledPeriods?: number;
  cpuThrottledUsec?: number;
  oomKills?: number;
  pressure?: SamplePressure;
  /** Taken as the job ended. */
  final: boolean;
}

// Column ↔ field, in column order; psi_* and final are handled apart.
const NUMERIC: [string, keyof JobSample][] = [
  ['cpu_usec', 'cpuUsageUsec'],
  ['mem', 'memoryBytes'],
  ['mem_peak', 'memoryPeakBytes'],
  ['mem_limit', 'memoryLimitBytes'],
  ['io_read', 'ioReadBytes'],
  ['io_write', 'ioWriteBytes'],
  ['net_rx', 'netRxBytes'],
  ['net_tx', 'netTxBytes'],
  ['pids', 'processCount'],
  ['cpu_periods', 'cpuPeriods'],
  ['cpu_throttled', 'cpuThrottledPeriods'],
  ['cpu_throttled_usec', 'cpuThrottledUsec'],
  ['oom_kills', 'oomKills'],
];
const PSI: [string, keyof SamplePressure][] = [
  ['psi_cpu', 'cpuSome'],
  ['psi_mem_some', 'memorySome'],
  ['psi_mem_full', 'memoryFull'],
  ['psi_io_some', 'ioSome'],
  ['psi_io_full', 'ioFull'],
];
const COLUMNS = ['job_id', 'at', 'interval_ms', 'cpu_percent', ...NUMERIC.map(([c]) => c), ...PSI.map(([c]) => c), 'final'];

/** Rows fetched per query while streaming a long history. */
const PAGE = 1000;

type Row = Record<string, number | string | null>;

/** The job_metrics table. Synchronous, like the rest of the store. */
export class MetricsStore {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly page: StatementSync;
  private readonly last: StatementSync;

  constructor(database: Database) {
    this.db = database.raw;
    // OR REPLACE: a final sample may land in the same millisecond as a periodic one; the later wins.
    this.insert = this.db.prepare(`INSERT OR REPLACE INTO job_metrics (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
    this.page = this.db.prepare(`SELECT ${COLUMNS.join(', ')} FROM job_metrics WHERE job_id = ? AND at > ? AND at <= ? ORDER BY at LIMIT ?`);
    this.last = this.db.prepare(`SELECT ${COLUMNS.join(', ')} FROM job_metrics WHERE job_id = ? ORDER BY at DESC LIMIT 1`);
  }

  /** Store samples in one transaction. */
  add(samples: JobSample[]): void {
    if (samples.length === 0) return;
    this.db.exec('BEGIN');
    try {
      for (const s of samples) this.insert.run(...toRow(s));
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Samples of a job with fromMs <= at <= toMs, oldest first, at most `limit` (0 = all), fetched page by page. */
  *range(jobId: string, fromMs: number, toMs: number, limit = 0): Generator<JobSample> {
    let after = fromMs - 1;
    let left = limit > 0 ? limit : Infinity;
    while (left > 0) {
      const rows = this.page.all(jobId, after, toMs, Math.min(PAGE, left)) as Row[];
      for (const r of rows) yield fromRow(r);
      if (rows.length < PAGE) return;
      left -= rows.length;
      after = rows[rows.length - 1]!.at as number;
    }
  }

  /** The newest sample of a job, if any. */
  latest(jobId: string): JobSample | undefined {
    const row = this.last.get(jobId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Delete samples taken before `beforeMs`; returns how many went. */
  prune(beforeMs: number): number {
    return Number(this.db.prepare('DELETE FROM job_metrics WHERE at < ?').run(beforeMs).changes);
  }

  /** Number of samples stored for a job. */
  count(jobId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM job_metrics WHERE job_id = ?').get(jobId) as { n: number }).n;
  }
}

function toRow(s: JobSample): (string | number | null)[] {
  return [
    s.jobId,
    s.at,
    s.intervalMs,
    s.cpuPercent,
    ...NUMERIC.map(([, k]) => (s[k] as number | undefined) ?? null),
    ...PSI.map(([, k]) => s.pressure?.[k] ?? null),
    s.final ? 1 : 0,
  ];
}

function fromRow(r: Row): JobSample {
  const s: JobSample = { jobId: r.job_id as string, at: r.at as number, intervalMs: r.interval_ms as number, cpuPercent: r.cpu_percent as number, final: r.final === 1 };
  const out = s as unknown as Record<string, unknown>;
  for (const [c, k] of NUMERIC) if (r[c] !== null) out[k] = r[c];
  if (r.psi_cpu !== null) {
    const p = {} as SamplePressure;
    for (const [c, k] of PSI) p[k] = (r[c] as number | null) ?? 0;
    s.pressure = p;
  }
  return s;
}
