/**
 * Parent side of a sandboxed process's own user namespace (runtime builds). The process, an
 * unprivileged host uid without capabilities, calls unshare(CLONE_NEWUSER) itself (the builder
 * seccomp profile allows it) and waits; the daemon, which holds CAP_SETUID/CAP_SETGID in the
 * parent namespace, then writes its id maps from outside: ids 0…count-1 inside become
 * base…base+count-1 on the host. An unprivileged process could map only its own uid; a full range
 * lets dpkg give files their owners (root:staff, _apt, ...) inside the namespace.
 *
 * The maps are written only to the process the daemon spawned (`pid`, not yet reaped), only once it
 * really is in a different user namespace, and only while its host uid is the one expected.
 */
import * as fs from 'node:fs';
import { JobletError } from '../shared/errors';

/** How mapChildUserNamespace finds and checks the process. */
export interface MapOptions {
  /** Host uid (and gid) the process runs as before it unshares. */
  expectId: number;
  /** False once the process has exited (its pid may then be reused). */
  alive: () => boolean;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Abort waiting (the build was cancelled). */
  signal?: AbortSignal;
}

/** Waits for `pid` to enter a new user namespace, then maps 0…count-1 onto base…; resolves false if it exited first. */
export async function mapChildUserNamespace(pid: number, base: number, count: number, o: MapOptions): Promise<boolean> {
  const ours = fs.readlinkSync('/proc/self/ns/user');
  const until = Date.now() + o.timeoutMs;
  for (;;) {
    if (!o.alive() || o.signal?.aborted) return false;
    let theirs: string | undefined;
    try {
      theirs = fs.readlinkSync(`/proc/${pid}/ns/user`);
    } catch {
      return false; // gone
    }
    if (theirs !== ours) break;
    if (Date.now() > until) throw new JobletError('INTERNAL', `the build process (pid ${pid}) did not create its user namespace within ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const ids = (key: string) => (new RegExp(`^${key}:\\s+(.+)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/).map(Number);
  if (![...ids('Uid'), ...ids('Gid')].every((id) => id === o.expectId)) {
    throw new JobletError('INTERNAL', `refusing to map the user namespace of pid ${pid}: it does not run as ${o.expectId}`);
  }
  // gid_map first: the process waits for uid_map and then sets both its uid and gid to 0.
  fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${base} ${count}\n`);
  fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${base} ${count}\n`);
  return true;
}
