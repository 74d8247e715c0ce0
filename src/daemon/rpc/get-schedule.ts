/** ScheduleService.GetSchedule: one schedule by name, id or unique id prefix. */
import type { Schedule, ScheduleRef } from '../../gen/joblet';
import type { ScheduleManager } from '../schedule/manager';
import { toSchedule } from './schedule-wire';

/** Handler factory. */
export function getSchedule(schedules: ScheduleManager) {
  return async (req: ScheduleRef): Promise<Schedule> => toSchedule(schedules.get(req.id));
}
