/**
 * Dropping privileges before execve (DESIGN §3.4): no capabilities in any set (bounding and
 * ambient included), only the job's uid/gid, no_new_privs. Verified after the fact: a drop that
 * silently left something behind is a setup failure, not a warning.
 */
import * as fs from 'node:fs';
import { JobletError } from '../shared/errors';
import { capget, capsetClear, PR, prctl, setgroups, setresgid, setresuid } from './libc/creds';

const PR_CAPBSET_READ = 23;

/** Highest capability number this kernel knows. */
export function lastCap(procRoot = '/proc'): number {
  return Number.parseInt(fs.readFileSync(`${procRoot}/sys/kernel/cap_last_cap`, 'utf8'), 10);
}

/** Becomes uid/gid with no capabilities at all; throws if any capability survives. */
export function dropPrivileges(uid: number, gid: number, procRoot = '/proc'): void {
  const last = lastCap(procRoot);
  // The bounding set caps what any later execve can gain (file capabilities included).
  for (let cap = 0; cap <= last; cap++) prctl(PR.CAPBSET_DROP, cap);
  prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL);
  // gid first: after setresuid we no longer hold CAP_SETGID.
  setgroups([gid]);
  setresgid(gid);
  // Leaving uid 0 in all three ids clears the permitted and effective sets (no SECBIT_KEEP_CAPS).
  setresuid(uid);
  // setresuid leaves the inheritable set alone; empty it too.
  capsetClear();
  const caps = capget();
  if (caps.effective || caps.permitted || caps.inheritable) {
    throw new JobletError('INTERNAL', `capabilities survived the drop: eff=${caps.effective} prm=${caps.permitted} inh=${caps.inheritable}`);
  }
  for (let cap = 0; cap <= last; cap++) {
    if (prctl(PR_CAPBSET_READ, cap) !== 0) throw new JobletError('INTERNAL', `capability ${cap} is still in the bounding set`);
  }
}

/** PR_SET_NO_NEW_PRIVS: setuid bits and file capabilities grant nothing from here on. */
export function setNoNewPrivs(): void {
  prctl(PR.SET_NO_NEW_PRIVS, 1);
  if (prctl(PR.GET_NO_NEW_PRIVS) !== 1) throw new JobletError('INTERNAL', 'no_new_privs did not stick');
}
