/** ScheduleService.ResumeSchedule: fire again from the next time the expression gives. */
import type { Schedule, ScheduleRef } from '../../gen/joblet';
import type { ScheduleManager } from '../schedule/manager';
import { toSchedule } from './schedule-wire';

/** Handler factory. */
export function resumeSchedule(schedules: ScheduleManager) {
  return async (req: ScheduleRef): Promise<Schedule> => toSchedule(schedules.resumeSchedule(req.id));
}
