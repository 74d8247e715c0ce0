/**
 * Values completion asks the server for (`rnx completion --list SOURCE`): job ids, schedule names
 * and ids, volumes, networks, runtimes; node names come from the client config. Each is a value
 * and a short description. The caller bounds the time: a shell waits on this at every TAB.
 */
import { loadClientConfig } from '../../shared/config/client';
import type { Connection } from '../client';
import { commandLine } from '../format';

/** Sources answered by the server. */
export const SERVER_SOURCES = ['jobs', 'schedules', 'volumes', 'networks', 'runtimes'] as const;
/** One of SERVER_SOURCES. */
export type ServerSource = (typeof SERVER_SOURCES)[number];

/** How many of the newest jobs are offered. */
const JOBS = 200;

/** The config's nodes with their addresses. */
export function nodeCandidates(configPath: string | undefined, env: NodeJS.ProcessEnv): [string, string][] {
  const { config } = loadClientConfig(configPath, env);
  return Object.keys(config.nodes)
    .sort()
    .map((n) => [n, config.nodes[n]!.address]);
}

/** Candidates of `source` from the server behind `c`; `signal` ends the wait. */
export async function serverCandidates(source: ServerSource, c: Connection, signal: AbortSignal): Promise<[string, string][]> {
  const opts = { signal };
  switch (source) {
    case 'jobs': {
      const { jobs } = await c.jobs.listJobs({ pageSize: JOBS, pageToken: '', statuses: [], since: '' }, opts);
      // Newest first: the job just started is the one most often wanted.
      return jobs.reverse().map((j) => [j.uuid, `${j.status} ${oneLine(commandLine(j.command, j.args))}`]);
    }
    case 'schedules': {
      const { schedules } = await c.schedules.listSchedules({}, opts);
      return schedules.flatMap((s): [string, string][] => {
        const what = `${s.cron} ${oneLine(commandLine(s.command, s.args))}`;
        return s.name ? [[s.name, what], [s.id, `${s.name}: ${what}`]] : [[s.id, what]];
      });
    }
    case 'volumes':
      return (await c.volumes.listVolumes({}, opts)).volumes.map((v) => [v.name, `${v.type} ${v.size}`]);
    case 'networks':
      return (await c.networks.listNetworks({}, opts)).networks.map((n) => [n.name, n.cidr || 'loopback only']);
    case 'runtimes':
      // Installed ones and the built-ins available to install; the status tells them apart.
      return (await c.runtimes.listRuntimes({}, opts)).runtimes.map((r) => [r.name, oneLine(`${r.status || 'installed'} ${r.language} ${r.version} ${r.description}`.trim())]);
  }
}

/** Text for a description column: one line, no tabs, not too long. */
function oneLine(s: string): string {
  const t = s.replace(/[\t\r\n]+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}
