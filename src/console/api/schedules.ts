/** Schedules: list, pause, resume, remove — one ScheduleService RPC each, answered as `rnx schedule --json`. */
import { scheduleJson } from '../../cli/schedule-format';
import type { ScheduleView } from '../shared/types';
import type { Route } from './route';

/** Routes of the schedules page. */
export const scheduleRoutes: Route[] = [
  {
    method: 'GET',
    path: 'schedules',
    async handle({ pool, node }): Promise<ScheduleView[]> {
      const { schedules } = await pool.call(node, (c) => c.schedules.listSchedules({}));
      return schedules.map(scheduleJson);
    },
  },
  {
    method: 'POST',
    path: 'schedules/:id/pause',
    write: true,
    async handle({ pool, node, params }): Promise<ScheduleView> {
      return scheduleJson(await pool.call(node, (c) => c.schedules.pauseSchedule({ id: params.id! })));
    },
  },
  {
    method: 'POST',
    path: 'schedules/:id/resume',
    write: true,
    async handle({ pool, node, params }): Promise<ScheduleView> {
      return scheduleJson(await pool.call(node, (c) => c.schedules.resumeSchedule({ id: params.id! })));
    },
  },
  {
    method: 'DELETE',
    path: 'schedules/:id',
    write: true,
    async handle({ pool, node, params }) {
      const r = await pool.call(node, (c) => c.schedules.removeSchedule({ id: params.id! }));
      return { id: r.id, removed: r.removed };
    },
  },
];
