/** `rnx schedule pause <name|id>`: Pause a schedule: it does not fire until resumed. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { reportSchedule, scheduleJson } from '../schedule-format';

/** Pause a schedule. */
export class SchedulePauseCommand extends ClientCommand {
  static override paths = [['schedule', 'pause']];
  static override usage = ClientCommand.Usage({
    category: 'Schedules',
    description: 'Pause a schedule: it does not fire until resumed',
    details: 'With --json: the schedule, as one element of `rnx schedule list --json`.',
    examples: [['By name', 'rnx schedule pause nightly']],
  });

  ref = Arg.required('NAME|ID', 'Schedule name, id or a unique id prefix', { complete: 'schedules' });

  async run(): Promise<number> {
    const s = await this.withNode((c) => c.schedules.pauseSchedule({ id: this.ref }));
    if (this.wantJson) this.json(scheduleJson(s));
    else reportSchedule(s, (l) => this.out(l));
    return 0;
  }
}
