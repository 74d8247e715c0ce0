/**
 * Children the daemon starts with posix_spawn (libc/spawn.ts) rather than child_process, which
 * forks: a fork copies the page tables of the whole daemon (~100 MB) on the main thread, tens of
 * milliseconds per job on a loaded VM. libuv reaps only the children it started itself, so these
 * are watched here: a pidfd per child, and on SIGCHLD a poll over them reaps the ones that ended.
 */
import { close } from './libc/fd';
import { pidfdOpen, posixSpawn, readableNow, reapPidfd, type ChildExit } from './libc/spawn';
import { check, syscall } from './libc/libc';
import * as os from 'node:os';

const SYS_PIDFD_SEND_SIGNAL = 424; // x86_64, Linux ≥ 5.1

/** A child process started by spawnChild. */
export interface Child {
  pid: number;
  /** Its end (it has been reaped by then). */
  exited: Promise<ChildExit>;
  /** Signals it, through its pidfd: never another process that reused the pid. */
  kill(signal?: NodeJS.Signals): void;
}

const watched = new Map<number, (exit: ChildExit) => void>();
let listening = false;
/** Keeps the event loop alive while children run (a signal handler does not), and sweeps now and then in case. */
let keepAlive: NodeJS.Timeout | undefined;

/** Starts `file argv` with `fds` as its fds 0, 1, ... (see posixSpawn) and watches for its end. */
export function spawnChild(file: string, argv: string[], env: Record<string, string>, fds: number[]): Child {
  const pid = posixSpawn(file, argv, env, fds);
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch (err) {
    // Cannot happen on Linux ≥ 5.3 with the child not yet reaped; do not leave it unwatched.
    process.kill(pid, 'SIGKILL');
    throw err;
  }
  const exited = new Promise<ChildExit>((resolve) => watched.set(pidfd, resolve));
  if (!listening) {
    process.on('SIGCHLD', sweep);
    keepAlive = setInterval(sweep, 1000);
    listening = true;
  }
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!watched.has(pidfd)) return; // reaped: its pidfd is closed
    try {
      check('pidfd_send_signal', `${pid}, ${signal}`, syscall(SYS_PIDFD_SEND_SIGNAL, 'int', pidfd, 'int', os.constants.signals[signal], 'void *', null, 'uint', 0));
    } catch {
      /* ended meanwhile */
    }
  };
  return { pid, exited, kill };
}

/** Reaps every watched child that has ended. SIGCHLDs coalesce, so it checks them all. */
function sweep(): void {
  for (const fd of readableNow([...watched.keys()])) {
    const exit = reapPidfd(fd);
    if (!exit) continue;
    const resolve = watched.get(fd)!;
    watched.delete(fd);
    close(fd);
    resolve(exit);
  }
  if (watched.size === 0 && listening) {
    process.off('SIGCHLD', sweep);
    clearInterval(keepAlive);
    listening = false;
  }
}
