/** The schedules table: one JSON record per schedule, with its id and name as columns. */
import type { DatabaseSync } from 'node:sqlite';
import type { Database } from './db';
import type { ScheduleRecord } from './schedule-record';

/** Read and write schedules. Synchronous, like the job store. */
export class ScheduleStore {
  private readonly db: DatabaseSync;

  constructor(database: Database) {
    this.db = database.raw;
  }

  /** Insert or replace. A name taken by another schedule throws (unique index). */
  put(s: ScheduleRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO schedules (id, name, created_at, record) VALUES (?, ?, ?, ?)').run(s.id, s.name, s.createdAt, JSON.stringify(s));
  }

  /** One schedule by id. */
  get(id: string): ScheduleRecord | undefined {
    const row = this.db.prepare('SELECT record FROM schedules WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ScheduleRecord) : undefined;
  }

  /** One schedule by name. */
  byName(name: string): ScheduleRecord | undefined {
    const row = this.db.prepare("SELECT record FROM schedules WHERE name = ? AND name <> ''").get(name) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ScheduleRecord) : undefined;
  }

  /** Ids starting with a prefix (at most `limit`). Callers pass only [0-9a-f-]. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    const rows = this.db.prepare('SELECT id FROM schedules WHERE id LIKE ? ORDER BY id LIMIT ?').all(`${prefix}%`, limit) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Every schedule, oldest first. */
  list(): ScheduleRecord[] {
    const rows = this.db.prepare('SELECT record FROM schedules ORDER BY created_at, id').all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as ScheduleRecord);
  }

  /** Number of schedules. */
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM schedules').get() as { n: number }).n;
  }

  /** Remove by id. */
  delete(id: string): void {
    this.db.prepare('DELETE FROM schedules WHERE id = ?').run(id);
  }
}
