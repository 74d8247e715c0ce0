/** `rnx schedule resume <name|id>`: Resume a paused schedule from its next time (missed firings are not caught up). */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { reportSchedule, scheduleJson } from '../schedule-format';

/** Resume a schedule. */
export class ScheduleResumeCommand extends ClientCommand {
  static override paths = [['schedule', 'resume']];
  static override usage = ClientCommand.Usage({
    category: 'Schedules',
    description: 'Resume a paused schedule from its next time (missed firings are not caught up)',
    details: 'With --json: the schedule, as one element of `rnx schedule list --json`.',
    examples: [['By name', 'rnx schedule resume nightly']],
  });

  ref = Arg.required('NAME|ID', 'Schedule name, id or a unique id prefix', { complete: 'schedules' });

  async run(): Promise<number> {
    const s = await this.withNode((c) => c.schedules.resumeSchedule({ id: this.ref }));
    if (this.wantJson) this.json(scheduleJson(s));
    else reportSchedule(s, (l) => this.out(l));
    return 0;
  }
}
