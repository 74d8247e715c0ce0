/**
 * The start-up breakdown of each job, logged at debug level: where the time between taking an
 * init and the command's first output went (the spec, each checklist step, execve, the first
 * byte). The human part reads as durations; after " | mono " come the raw CLOCK_MONOTONIC
 * stamps (µs, step names with '-' for spaces), which bench/ parses.
 */
import type { Logger } from '../log';
import type { SandboxProcess, StartupTimings } from '../../sandbox/spawn';

/** Logs `proc`'s breakdown once it is known; returns `proc` unchanged. */
export function logStartup(jobId: string, proc: SandboxProcess, log: Pick<Logger, 'debug'>): SandboxProcess {
  void proc.startup?.then((t) => {
    if (t) log.debug(`job ${jobId}: ${describeStartup(t)}`);
  });
  return proc;
}

/** "started in 9.1 ms from a warm init: spec 0.3, create namespaces 0.4, … | mono claim=… …". */
export function describeStartup(t: StartupTimings): string {
  const ms = (us: number) => (us / 1000).toFixed(1);
  const parts: string[] = [];
  let prev = t.claimedAt;
  for (const [name, at] of t.steps) {
    parts.push(`${name} ${ms(at - prev)}`);
    prev = at;
  }
  parts.push(`execve ${ms(t.execAt - prev)}`);
  if (t.firstByteAt !== undefined) parts.push(`first output ${ms(t.firstByteAt - t.execAt)}`);
  const end = t.firstByteAt ?? t.execAt;
  const mono = [
    `spawned=${t.spawnedAt}`,
    ...(t.readyAt !== undefined ? [`ready=${t.readyAt}`] : []),
    `claim=${t.claimedAt}`,
    ...t.steps.map(([name, at]) => `${name.replace(/ /g, '-')}=${at}`),
    `exec=${t.execAt}`,
    ...(t.firstByteAt !== undefined ? [`first=${t.firstByteAt}`] : []),
  ];
  return `started in ${ms(end - t.claimedAt)} ms from a ${t.warm ? 'warm' : 'cold'} init: ${parts.join(', ')} | mono ${mono.join(' ')}`;
}
