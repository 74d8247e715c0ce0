/** The workflow target of schedules: each firing runs the schedule's workflow as a new workflow. */
import { describeError } from '../../shared/errors';
import type { ScheduleStore } from '../../store/schedule-store';
import type { ScheduleTargetRunner } from '../schedule/manager';
import type { WorkflowManager } from './manager';

/** A ScheduleTargetRunner over the workflow manager. */
export function workflowTargetRunner(workflows: WorkflowManager): ScheduleTargetRunner {
  return {
    start: (s) => {
      if (s.target.kind !== 'workflow') throw new Error(`schedule ${s.id} does not start a workflow`);
      return workflows.startFromSchedule(s.target, { id: s.id, name: s.name }, s.owner);
    },
    status: (ref) => workflows.statusOf(ref),
    stop: async (ref, by) => {
      try {
        await workflows.stop(ref, by);
      } catch (err) {
        // It ended by itself meanwhile: nothing to stop.
        if (!/has already ended/.test(describeError(err))) throw err;
      }
    },
    removed: (s) => {
      if (s.target.kind === 'workflow') workflows.releaseTarget(s.target);
    },
  };
}

/** Staging keys held by the workflow targets of schedules (kept while a schedule exists). */
export function scheduleStagedKeys(store: ScheduleStore): Set<string> {
  const out = new Set<string>();
  for (const s of store.list()) if (s.target.kind === 'workflow') for (const j of s.target.jobs) if (j.staged) out.add(j.staged.key);
  return out;
}
