/**
 * Signal state that execve would otherwise pass on from Node to the job: ignored dispositions
 * survive execve (Node ignores SIGPIPE, so `yes | head` would print EPIPE errors instead of
 * dying quietly) and so does the signal mask.
 */
import { check, fn } from './libc';

const SIGKILL = 9;
const SIGSTOP = 19;
const SIGRTMAX = 64;
const SIG_SETMASK = 2;

/** Sets every catchable signal to SIG_DFL and unblocks all signals for the calling thread. */
export function resetSignals(): void {
  const signal = fn('void *signal(int signum, void *handler)');
  for (let sig = 1; sig <= SIGRTMAX; sig++) {
    // 32 and 33 are glibc's internal real-time signals (thread cancellation, setxid); signal() refuses them.
    if (sig === SIGKILL || sig === SIGSTOP || sig === 32 || sig === 33) continue;
    signal(sig, null);
  }
  const empty = Buffer.alloc(128); // sigset_t
  check('sigprocmask', 'SIG_SETMASK, {}', fn('int sigprocmask(int how, void *set, void *oldset)')(SIG_SETMASK, empty, null));
}
