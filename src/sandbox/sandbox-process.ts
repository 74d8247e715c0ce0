/**
 * A job process as the daemon sees it, and what can go wrong making one: the types shared by the
 * parent-side modules (spawn.ts, init-process.ts, pool.ts).
 */
import type { Readable } from 'node:stream';
import { JobletError } from '../shared/errors';
import type { StepStamp } from './protocol';
import type { SetupFailure } from './spec';

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where a job's start-up time went: CLOCK_MONOTONIC µs stamps, daemon and init alike. */
export interface StartupTimings {
  /** The init process was spawned (long before the job when it came from the pool). */
  spawnedAt: number;
  /** It reported ready (Node started, modules loaded); absent when the job came first. */
  readyAt?: number;
  /** The job claimed it: its spec went into the pipe. */
  claimedAt: number;
  /** Whether the init was ready when claimed (a warm start). */
  warm: boolean;
  /** The init's own steps: "spec" (request read), then each checklist step, each with its end. */
  steps: StepStamp[];
  /** The status pipe closed after "exec": execve succeeded. */
  execAt: number;
  /** The first byte of output arrived (absent if the job printed nothing). */
  firstByteAt?: number;
}

/** A job process as the daemon sees it. */
export interface SandboxProcess {
  /** Host pid of the job's PID 1 (the init, then the command itself). */
  pid: number;
  /** The command's stdout and stderr (real pipes, so /dev/stdout works inside). */
  stdout: Readable;
  stderr: Readable;
  /** Resolves when execve succeeded; rejects with SandboxSetupError. */
  started: Promise<void>;
  /** The process's end. */
  exited: Promise<ProcessExit>;
  /** Resolves once the command runs and has printed (or ended): the start-up breakdown. */
  startup?: Promise<StartupTimings | undefined>;
}

/** The sandbox could not be set up, or the command could not be started; `failure` says where. */
export class SandboxSetupError extends JobletError {
  constructor(readonly failure: SetupFailure) {
    super(failure.exitCode === 127 ? 'NOT_FOUND' : failure.exitCode === 126 ? 'FAILED_PRECONDITION' : 'INTERNAL', failure.message);
    this.name = 'SandboxSetupError';
  }
}

/** CLOCK_MONOTONIC in µs (the clock the init stamps its steps with). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
