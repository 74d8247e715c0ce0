/**
 * Start-up trace: with JOBLET_TRACE_START=1 in the environment, each step of a process's start
 * (parts loaded, command parsed, config read, connection made, call answered, exit) prints one
 * line on stderr with the wall and CPU milliseconds since the process started.
 * bench/client-start.ts reads these lines for its breakdown; a user can see where a slow `rnx`
 * spends its time. Off, it costs one lookup.
 */

/** Is the trace on? (Callers measure durations only then: the clock's first use loads perf_hooks.) */
export const tracing = process.env.JOBLET_TRACE_START === '1';

/** Print "[joblet-trace] 12.3 ms cpu 10.1 ms label" on stderr when tracing is on. */
export function trace(label: string): void {
  if (!tracing) return;
  const cpu = process.cpuUsage();
  process.stderr.write(`[joblet-trace] ${performance.now().toFixed(1)} ms cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms ${label}\n`);
}

/** Trace the process's exit too (once), with the label given. */
export function traceExit(label = 'exit'): void {
  if (tracing) process.once('exit', () => trace(label));
}
