/**
 * Monitoring tools: the server's host status (as `rnx monitor status --json`) and a job's metrics
 * samples (as `rnx job metrics --json`, the newest `limit` of them, with a summary).
 */
import { z } from 'zod';
import { sampleJson } from '../../cli/metrics-format';
import { defineTool, jsonResult, type ToolDef } from '../tool';

/** joblet_get_system_status and joblet_get_job_metrics. */
export const monitoringTools: ToolDef[] = [
  defineTool({
    name: 'joblet_get_system_status',
    title: 'Get system status',
    description: "The joblet server's host now: CPU (usage, load, per core), memory, disks, network interfaces, disk I/O, process counts and the top processes by CPU and memory, host info and server version.",
    input: {},
    write: false,
    async run(_a, ctx) {
      return jsonResult(await ctx.call((c) => c.monitoring.getSystemStatus({}, { signal: ctx.signal })));
    },
  }),
  defineTool({
    name: 'joblet_get_job_metrics',
    title: 'Get job metrics',
    description:
      "A job's resource samples over its life (taken every few seconds while it runs): CPU percent (100 = one core), memory and its limit, disk and network bytes, process count, throttling, OOM kills, pressure. Returns the newest `limit` samples, oldest first, and a summary over all of them.",
    input: {
      job_id: z.string().min(1).describe('Job id, or any unique prefix of 4 or more characters'),
      limit: z.number().int().min(1).max(5000).default(60).describe('Return at most the newest this many samples (default 60)'),
    },
    write: false,
    async run(a, ctx) {
      const all = await ctx.call(async (c) => {
        const out = [];
        for await (const e of c.jobs.getJobMetrics({ jobUuid: a.job_id, startTime: '0', endTime: '0', limit: 0 }, { signal: ctx.signal })) out.push(sampleJson(e));
        return out;
      });
      const summary = {
        samples: all.length,
        firstTime: all[0]?.time ?? null,
        lastTime: all[all.length - 1]?.time ?? null,
        cpuPercentMax: all.reduce((m, s) => Math.max(m, s.cpuPercent), 0),
        cpuPercentAvg: all.length ? +(all.reduce((n, s) => n + s.cpuPercent, 0) / all.length).toFixed(2) : 0,
        memoryPeakBytes: all.reduce((m, s) => Math.max(m, s.memoryPeakBytes, s.memoryBytes), 0),
        oomKills: all[all.length - 1]?.oomKills ?? 0,
      };
      return jsonResult({ summary, samples: all.slice(-a.limit), ...(all.length > a.limit ? { note: `showing the newest ${a.limit} of ${all.length} samples; raise limit for more` } : {}) });
    },
  }),
];
