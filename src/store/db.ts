/**
 * The daemon's metadata in SQLite (node:sqlite, WAL): jobs, networks, volumes, schedules, workflows. Each table keeps its
 * record as a JSON document, with the columns we query on beside it. Migrations are numbered and
 * applied in order at open; `PRAGMA user_version` remembers where a database is. Never edit a
 * migration that has shipped: add a new one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';
import type { JobRecord, JobStatus } from './job-record';

/** Records written before limits existed read as "no limits recorded". */
function parseJob(text: string): JobRecord {
  const j = JSON.parse(text) as JobRecord;
  j.limits ??= { cpuPercent: 0, cpuCores: '', memoryBytes: 0, ioBps: 0, pids: 0, diskBytes: 0, timeoutMs: 0 };
  return j;
}

const MIGRATIONS: string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX jobs_created ON jobs(created_at);`,
  `CREATE TABLE networks (
     name TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     record TEXT NOT NULL
   );
   CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     record TEXT NOT NULL
   );`,
  // Recurring schedules; jobs by state (start-up recovery, list filters, retention).
  `CREATE TABLE schedules (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     record TEXT NOT NULL
   );
   CREATE UNIQUE INDEX schedules_name ON schedules(name) WHERE name <> '';
   CREATE INDEX jobs_status ON jobs(status, created_at);`,
  // Per-job metrics samples (metrics.ts). The trigger deletes a job's samples with its row; it does
  // not fire for the delete half of INSERT OR REPLACE (recursive_triggers is off), so updating a
  // job keeps them.
  `CREATE TABLE job_metrics (
     job_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     interval_ms INTEGER NOT NULL,
     cpu_percent REAL NOT NULL,
     cpu_usec INTEGER,
     mem INTEGER,
     mem_peak INTEGER,
     mem_limit INTEGER,
     io_read INTEGER,
     io_write INTEGER,
     net_rx INTEGER,
     net_tx INTEGER,
     pids INTEGER,
     cpu_periods INTEGER,
     cpu_throttled INTEGER,
     cpu_throttled_usec INTEGER,
     oom_kills INTEGER,
     psi_cpu REAL,
     psi_mem_some REAL,
     psi_mem_full REAL,
     psi_io_some REAL,
     psi_io_full REAL,
     final INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (job_id, at)
   ) WITHOUT ROWID;
   CREATE INDEX job_metrics_at ON job_metrics(at);
   CREATE TRIGGER job_metrics_go_with_job AFTER DELETE ON jobs BEGIN
     DELETE FROM job_metrics WHERE job_id = OLD.id;
   END;`,
  // Workflows: a header per workflow, a row per workflow job (its staging key findable).
  `CREATE TABLE workflows (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX workflows_status ON workflows(status, created_at);
   CREATE TABLE workflow_jobs (
     workflow_id TEXT NOT NULL,
     idx INTEGER NOT NULL,
     name TEXT NOT NULL,
     staged_key TEXT,
     record TEXT NOT NULL,
     PRIMARY KEY (workflow_id, idx)
   );
   CREATE INDEX workflow_jobs_staged ON workflow_jobs(staged_key) WHERE staged_key IS NOT NULL;`,
];

/** The open database file of one daemon; stores for each table share it. */
export class Database {
  /** The SQLite handle (synchronous API). */
  readonly raw: DatabaseSyncType;

  constructor(stateDir: string) {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // Lazy: node:sqlite exists only in the product's own Node (24), never needed by the client.
    const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
    this.raw = new DatabaseSync(path.join(stateDir, 'joblet.db'));
    this.raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.migrate();
  }

  private migrate(): void {
    const row = this.raw.prepare('PRAGMA user_version').get() as { user_version: number };
    for (let v = row.user_version; v < MIGRATIONS.length; v++) {
      this.raw.exec('BEGIN');
      this.raw.exec(MIGRATIONS[v]!);
      this.raw.exec(`PRAGMA user_version = ${v + 1}`);
      this.raw.exec('COMMIT');
    }
  }

  /** Close the database. */
  close(): void {
    this.raw.close();
  }
}

/**
 * A table of JSON records keyed by name (networks, volumes): the small, common shape.
 * `table` is one of our own constant table names, never user input.
 */
export class RecordTable<T extends { name: string; createdAt: number }> {
  constructor(
    private readonly db: Database,
    private readonly table: 'networks' | 'volumes',
  ) {}

  /** Insert or replace. */
  put(r: T): void {
    this.db.raw.prepare(`INSERT OR REPLACE INTO ${this.table} (name, created_at, record) VALUES (?, ?, ?)`).run(r.name, r.createdAt, JSON.stringify(r));
  }

  /** One record by name. */
  get(name: string): T | undefined {
    const row = this.db.raw.prepare(`SELECT record FROM ${this.table} WHERE name = ?`).get(name) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as T) : undefined;
  }

  /** All records, by name. */
  list(): T[] {
    const rows = this.db.raw.prepare(`SELECT record FROM ${this.table} ORDER BY name`).all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as T);
  }

  /** Remove by name. */
  delete(name: string): void {
    this.db.raw.prepare(`DELETE FROM ${this.table} WHERE name = ?`).run(name);
  }
}

/** The job table. All calls are synchronous: SQLite answers in microseconds and order matters. */
export class JobStore {
  private readonly db: DatabaseSyncType;

  constructor(database: Database) {
    this.db = database.raw;
  }

  /** Insert or replace a job. */
  put(job: JobRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO jobs (id, status, created_at, record) VALUES (?, ?, ?, ?)')
      .run(job.id, job.status, job.createdAt, JSON.stringify(job));
  }

  /** One job by full id. */
  get(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT record FROM jobs WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? parseJob(row.record) : undefined;
  }

  /** Ids starting with a prefix (at most `limit`), for prefix resolution. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    // Ids are lowercase hex and dashes (validated by the caller), so no LIKE wildcard can sneak in.
    const rows = this.db.prepare('SELECT id FROM jobs WHERE id LIKE ? ORDER BY id LIMIT ?').all(`${prefix}%`, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** All jobs, oldest first. */
  list(): JobRecord[] {
    const rows = this.db.prepare('SELECT record FROM jobs ORDER BY created_at, id').all() as { record: string }[];
    return rows.map((r) => parseJob(r.record));
  }

  /** Jobs in the given states. */
  withStatus(statuses: JobStatus[]): JobRecord[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db.prepare(`SELECT record FROM jobs WHERE status IN (${marks})`).all(...statuses) as { record: string }[];
    return rows.map((r) => parseJob(r.record));
  }

  /** Remove a job's record. */
  delete(id: string): void {
    this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
  }

  /**
   * Newest jobs first, strictly older than `before` ([createdAt, id]) when given, filtered by
   * state and creation time; at most `limit`.
   */
  page(q: { before?: [number, string]; statuses?: JobStatus[]; since?: number; limit: number }): JobRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.before) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      args.push(q.before[0], q.before[0], q.before[1]);
    }
    if (q.statuses?.length) {
      where.push(`status IN (${q.statuses.map(() => '?').join(',')})`);
      args.push(...q.statuses);
    }
    if (q.since !== undefined) {
      where.push('created_at >= ?');
      args.push(q.since);
    }
    const sql = `SELECT record FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as { record: string }[];
    return rows.map((r) => parseJob(r.record));
  }

  /** Ids of jobs in the given (terminal) states, newest first, skipping the first `offset`. */
  idsByAge(statuses: JobStatus[], offset: number, limit: number): { id: string; createdAt: number }[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT id, created_at FROM jobs WHERE status IN (${marks}) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...statuses, limit, offset) as { id: string; created_at: number }[];
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
  }
}
