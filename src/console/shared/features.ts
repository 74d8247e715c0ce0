/**
 * Features that a joblet server may or may not have. The backend probes each (api/features.ts)
 * and the page shows a feature's navigation entry only when the connected server has it; a page
 * opened for a feature the server lacks says so with the server's own answer. Adding a feature is
 * one entry here, one probe in api/features.ts and, when its page exists, one route in ui/routes.tsx.
 */

/** Identifiers of optional server features. */
export type FeatureId = 'monitoring' | 'runtimes' | 'jobMetrics' | 'schedules' | 'workflows';

/** What the console says about a feature. */
export interface FeatureInfo {
  /** Name shown in messages ("Monitoring is not available on this server"). */
  label: string;
  /** The RPC whose answer decides it, for messages; '' when this console cannot probe it yet. */
  rpc: string;
}

/** Every optional feature. */
export const FEATURES: Record<FeatureId, FeatureInfo> = {
  monitoring: { label: 'Monitoring', rpc: 'GetSystemStatus' },
  runtimes: { label: 'Runtimes', rpc: 'ListRuntimes' },
  jobMetrics: { label: 'Per-job metrics', rpc: 'GetJobMetrics' },
  schedules: { label: 'Schedules', rpc: 'ListSchedules' },
  workflows: { label: 'Workflows', rpc: 'ListWorkflows' },
};

/** All feature ids, in display order. */
export const FEATURE_IDS = Object.keys(FEATURES) as FeatureId[];
