/** `rnx schedule pause <name|id>`: Pause a schedule: it does not fire until resumed. */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';
import { reportSchedule, scheduleJson } from '../schedule-format';

/** Pause a schedule. */
export class SchedulePauseCommand extends ClientCommand {
  static override paths = [['schedule', 'pause']];
  static override usage = ClientCommand.Usage({ description: 'Pause a schedule: it does not fire until resumed', examples: [['By name', 'rnx schedule pause nightly']] });

  ref = Option.String({ name: 'name|id' });

  async run(): Promise<number> {
    const s = await this.withNode((c) => c.schedules.pauseSchedule({ id: this.ref }));
    if (this.wantJson) this.json(scheduleJson(s));
    else reportSchedule(s, (l) => this.out(l));
    return 0;
  }
}
