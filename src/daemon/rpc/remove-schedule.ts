/** ScheduleService.RemoveSchedule: delete a schedule and its stored uploads; jobs it started are not touched. */
import type { RemoveScheduleResponse, ScheduleRef } from '../../gen/joblet';
import type { ScheduleManager } from '../schedule/manager';

/** Handler factory. */
export function removeSchedule(schedules: ScheduleManager) {
  return async (req: ScheduleRef): Promise<RemoveScheduleResponse> => ({ id: schedules.remove(req.id), removed: true });
}
