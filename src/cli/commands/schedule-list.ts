/** `rnx schedule list`: every recurring schedule with its next run and last job. */
import { ClientCommand } from '../base';
import { localTime, safeText, table } from '../format';
import { scheduleJson, scheduleLabel } from '../schedule-format';

/** List schedules. */
export class ScheduleListCommand extends ClientCommand {
  static override paths = [['schedule', 'list'], ['schedule', 'ls'], ['schedules']];
  static override usage = ClientCommand.Usage({
    category: 'Schedules',
    description: 'List recurring schedules (made with rnx run --cron)',
    details: 'Columns: NAME/ID (the name, or the id when it has none), EXPR, TZ, NEXT RUN (local time; "paused" while paused), LAST JOB, LAST STATUS. --json adds runs, skips, misses and recent notes.',
    examples: [['List', 'rnx schedule list'], ['As JSON', 'rnx schedule list --json']],
  });

  async run(): Promise<number> {
    const { schedules } = await this.withNode((c) => c.schedules.listSchedules({}));
    if (this.wantJson) {
      this.json(schedules.map(scheduleJson));
      return 0;
    }
    if (schedules.length === 0) {
      this.out('No schedules found');
      return 0;
    }
    const rows = schedules.map((s) => [
      scheduleLabel(s),
      safeText(s.cron),
      s.timezone || 'local',
      s.paused ? 'paused' : s.nextRunTime ? localTime(s.nextRunTime) : 'never',
      s.lastJobUuid ? s.lastJobUuid.slice(0, 8) : '-',
      s.lastStatus || '-',
    ]);
    this.out(table(['NAME/ID', 'EXPR', 'TZ', 'NEXT RUN', 'LAST JOB', 'LAST STATUS'], rows));
    return 0;
  }
}
