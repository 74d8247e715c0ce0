/** `rnx schedule remove <name|id>`: delete a schedule and its stored uploads; jobs it started are not touched. */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';

/** Remove a schedule. */
export class ScheduleRemoveCommand extends ClientCommand {
  static override paths = [['schedule', 'remove']];
  static override usage = ClientCommand.Usage({
    description: 'Remove a schedule (jobs it already started keep running)',
    examples: [['By name', 'rnx schedule remove nightly']],
  });

  ref = Option.String({ name: 'name|id' });

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.schedules.removeSchedule({ id: this.ref }));
    if (this.wantJson) this.json({ id: res.id, removed: res.removed });
    else this.out(`Schedule ${res.id} removed`);
    return 0;
  }
}
