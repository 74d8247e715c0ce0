/** ScheduleService.ListSchedules: every recurring schedule, oldest first. */
import type { Schedules } from '../../gen/joblet';
import type { ScheduleManager } from '../schedule/manager';
import { toSchedule } from './schedule-wire';

/** Handler factory. */
export function listSchedules(schedules: ScheduleManager) {
  return async (): Promise<Schedules> => ({ schedules: schedules.list().map(toSchedule) });
}
