/** `rnx schedule resume <name|id>`: Resume a paused schedule from its next time (missed firings are not caught up). */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';
import { reportSchedule, scheduleJson } from '../schedule-format';

/** Resume a schedule. */
export class ScheduleResumeCommand extends ClientCommand {
  static override paths = [['schedule', 'resume']];
  static override usage = ClientCommand.Usage({ description: 'Resume a paused schedule from its next time (missed firings are not caught up)', examples: [['By name', 'rnx schedule resume nightly']] });

  ref = Option.String({ name: 'name|id' });

  async run(): Promise<number> {
    const s = await this.withNode((c) => c.schedules.resumeSchedule({ id: this.ref }));
    if (this.wantJson) this.json(scheduleJson(s));
    else reportSchedule(s, (l) => this.out(l));
    return 0;
  }
}
