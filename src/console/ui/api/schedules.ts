/** Schedules: the calls of the schedules page. */
import type { ScheduleView } from '../../shared/types';
import { call, nodeApi } from './core';

/** Every recurring schedule of the node (rnx schedule list). */
export function listSchedules(node: string): Promise<ScheduleView[]> {
  return call('GET', nodeApi(node, 'schedules'));
}

/** Pause or resume a schedule (rnx schedule pause|resume). */
export function setPaused(node: string, id: string, paused: boolean): Promise<ScheduleView> {
  return call('POST', nodeApi(node, `schedules/${encodeURIComponent(id)}/${paused ? 'pause' : 'resume'}`));
}

/** Remove a schedule; jobs it started stay (rnx schedule remove). */
export function removeSchedule(node: string, id: string): Promise<{ id: string; removed: boolean }> {
  return call('DELETE', nodeApi(node, `schedules/${encodeURIComponent(id)}`));
}
