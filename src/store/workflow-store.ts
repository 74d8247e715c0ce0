/**
 * The workflow tables: `workflows` (one header record each, with its state and creation time as
 * columns) and `workflow_jobs` (one row per workflow job, with its staged-uploads key as a column
 * so that shared staging directories can be kept while anything refers to them).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Database } from './db';
import type { WorkflowJobRecord, WorkflowRecord, WorkflowStatus } from './workflow-record';

/** Read and write workflows. Synchronous, like the job store. */
export class WorkflowStore {
  private readonly db: DatabaseSync;

  constructor(database: Database) {
    this.db = database.raw;
  }

  /** Insert or replace a workflow's header. */
  put(w: WorkflowRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO workflows (id, status, created_at, record) VALUES (?, ?, ?, ?)').run(w.id, w.status, w.createdAt, JSON.stringify(w));
  }

  /** Insert or replace one workflow job. */
  putJob(j: WorkflowJobRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO workflow_jobs (workflow_id, idx, name, staged_key, record) VALUES (?, ?, ?, ?, ?)')
      .run(j.workflowId, j.index, j.name, j.staged?.key ?? null, JSON.stringify(j));
  }

  /** A whole new workflow in one transaction: its header and every job, or nothing. */
  create(w: WorkflowRecord, jobs: WorkflowJobRecord[]): void {
    this.db.exec('BEGIN');
    try {
      this.put(w);
      for (const j of jobs) this.putJob(j);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** One workflow's header. */
  get(id: string): WorkflowRecord | undefined {
    const row = this.db.prepare('SELECT record FROM workflows WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as WorkflowRecord) : undefined;
  }

  /** A workflow's jobs, in file order. */
  jobs(id: string): WorkflowJobRecord[] {
    const rows = this.db.prepare('SELECT record FROM workflow_jobs WHERE workflow_id = ? ORDER BY idx').all(id) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as WorkflowJobRecord);
  }

  /** Ids starting with a prefix (at most `limit`). Callers pass only [0-9a-f-]. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    const rows = this.db.prepare('SELECT id FROM workflows WHERE id LIKE ? ORDER BY id LIMIT ?').all(`${prefix}%`, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Workflows in the given states (all when none given), oldest first. */
  withStatus(statuses: WorkflowStatus[]): WorkflowRecord[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db.prepare(`SELECT record FROM workflows WHERE status IN (${marks}) ORDER BY created_at, id`).all(...statuses) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as WorkflowRecord);
  }

  /** Newest first, strictly older than `before` ([createdAt, id]) when given, filtered by state; at most `limit`. */
  page(q: { before?: [number, string]; statuses?: WorkflowStatus[]; limit: number }): WorkflowRecord[] {
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
    const sql = `SELECT record FROM workflows ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as WorkflowRecord);
  }

  /** Ids of finished workflows, newest first, skipping the first `offset`. */
  finishedByAge(offset: number, limit: number): { id: string; createdAt: number; endedAt?: number }[] {
    const rows = this.db
      .prepare("SELECT record FROM workflows WHERE status IN ('COMPLETED', 'FAILED', 'CANCELED', 'STOPPED') ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?")
      .all(limit, offset) as { record: string }[];
    return rows.map((r) => {
      const w = JSON.parse(r.record) as WorkflowRecord;
      return { id: w.id, createdAt: w.createdAt, endedAt: w.endedAt };
    });
  }

  /** How many workflows are in these states. */
  count(statuses: WorkflowStatus[]): number {
    const marks = statuses.map(() => '?').join(',');
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM workflows WHERE status IN (${marks})`).get(...statuses) as { n: number }).n;
  }

  /** Is a staging key used by any workflow job? */
  stagedKeyInUse(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM workflow_jobs WHERE staged_key = ? LIMIT 1').get(key) !== undefined;
  }

  /** Every staging key any workflow job uses. */
  stagedKeys(): string[] {
    const rows = this.db.prepare('SELECT DISTINCT staged_key AS k FROM workflow_jobs WHERE staged_key IS NOT NULL').all() as { k: string }[];
    return rows.map((r) => r.k);
  }

  /** Remove a workflow and its jobs' rows (not the jobs themselves). */
  delete(id: string): void {
    this.db.exec('BEGIN');
    try {
      this.db.prepare('DELETE FROM workflow_jobs WHERE workflow_id = ?').run(id);
      this.db.prepare('DELETE FROM workflows WHERE id = ?').run(id);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }
}
