/**
 * Which optional features the connected server has, asked of the server itself: each probe makes
 * one harmless read call and looks at the answer — UNIMPLEMENTED means the server does not have
 * the feature (its message says so), any other answer means it does. Answers are kept for 30 s
 * per node. A feature whose probe is missing here is one this console cannot use yet.
 */
import { ClientError, Status, createClient } from 'nice-grpc';
import { MonitoringServiceDefinition, RuntimeServiceDefinition } from '../../gen/joblet';
import type { Connection } from '../../cli/client';
import { explain } from '../../cli/client';
import { describeError } from '../../shared/errors';
import { FEATURES, FEATURE_IDS, type FeatureId } from '../shared/features';
import type { FeatureState } from '../shared/types';
import type { Route } from './route';

const TTL_MS = 30_000;
const PROBE_TIMEOUT_MS = 10_000;

/** One read call that fails with UNIMPLEMENTED when the server lacks the feature. */
type Probe = (c: Connection, signal: AbortSignal) => Promise<unknown>;

/** How to ask about each feature; add one line when a feature's RPC appears. */
const PROBES: Partial<Record<FeatureId, Probe>> = {
  monitoring: (c, signal) => createClient(MonitoringServiceDefinition, c.channel).getSystemStatus({}, { signal }),
  runtimes: (c, signal) => createClient(RuntimeServiceDefinition, c.channel).listRuntimes({}, { signal }),
  schedules: (c, signal) => c.schedules.listSchedules({}, { signal }),
  workflows: (c, signal) => c.jobs.listWorkflows({ includeCompleted: false, pageSize: 1, pageToken: '', statuses: [] }, { signal }),
  // An empty id: a server with metrics refuses it (INVALID_ARGUMENT / NOT_FOUND), one without answers UNIMPLEMENTED.
  jobMetrics: async (c, signal) => {
    for await (const _ of c.jobs.getJobMetrics({ jobUuid: '', startTime: '0', endTime: '0', limit: 1 }, { signal })) break;
  },
};

const cache = new Map<string, { at: number; states: Record<FeatureId, FeatureState> }>();

/** Ask the node about every feature. */
async function probeAll(c: Connection): Promise<{ states: Record<FeatureId, FeatureState>; settled: boolean }> {
  const states = {} as Record<FeatureId, FeatureState>;
  let settled = true;
  await Promise.all(
    FEATURE_IDS.map(async (id) => {
      const probe = PROBES[id];
      if (!probe) {
        states[id] = { available: false, message: `this release of joblet has no API for ${FEATURES[id].label.toLowerCase()} yet, so neither the server nor this console offers them` };
        return;
      }
      try {
        await probe(c, AbortSignal.timeout(PROBE_TIMEOUT_MS));
        states[id] = { available: true, message: '' };
      } catch (err) {
        if (err instanceof ClientError && err.code === Status.UNIMPLEMENTED) states[id] = { available: false, message: err.details };
        else if (err instanceof ClientError && (err.code === Status.INVALID_ARGUMENT || err.code === Status.NOT_FOUND)) states[id] = { available: true, message: '' };
        else {
          // Unreachable, refused, timed out: no answer about the feature, so nothing to remember.
          settled = false;
          states[id] = { available: false, message: describeError(explain(err, c)) };
        }
      }
    }),
  );
  return { states, settled };
}

/** GET features → Record<FeatureId, FeatureState>. */
export const featuresRoute: Route = {
  method: 'GET',
  path: 'features',
  async handle({ pool, node }) {
    const hit = cache.get(node);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.states;
    const { states, settled } = await probeAll(pool.conn(node));
    if (settled) cache.set(node, { at: Date.now(), states });
    return states;
  },
};
