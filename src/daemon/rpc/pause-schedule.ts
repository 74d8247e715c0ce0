/** ScheduleService.PauseSchedule: stop firing until resumed. */
import type { Schedule, ScheduleRef } from '../../gen/joblet';
import type { ScheduleManager } from '../schedule/manager';
import { toSchedule } from './schedule-wire';

/** Handler factory. */
export function pauseSchedule(schedules: ScheduleManager) {
  return async (req: ScheduleRef): Promise<Schedule> => toSchedule(schedules.pause(req.id));
}
