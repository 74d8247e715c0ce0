/** `rnx schedule remove <name|id>`: delete a schedule and its stored uploads; jobs it started are not touched. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';

/** Remove a schedule. */
export class ScheduleRemoveCommand extends ClientCommand {
  static override paths = [['schedule', 'remove'], ['schedule', 'rm']];
  static override usage = ClientCommand.Usage({
    category: 'Schedules',
    description: 'Remove a schedule (jobs it already started keep running)',
    examples: [['By name', 'rnx schedule remove nightly']],
  });

  ref = Arg.required('NAME|ID', 'Schedule name, id or a unique id prefix', { complete: 'schedules' });

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.schedules.removeSchedule({ id: this.ref }));
    if (this.wantJson) this.json({ id: res.id, removed: res.removed });
    else this.out(`Schedule ${res.id} removed`);
    return 0;
  }
}
