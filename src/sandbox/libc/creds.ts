/** Credential and capability calls: prctl(2), capget/capset(2), setgroups(2), setresgid/setresuid(2). */
import { check, fn } from './libc';

/** prctl(2) options used by the sandbox (linux/prctl.h). */
export const PR = {
  CAPBSET_DROP: 24,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_CLEAR_ALL: 4,
} as const;

const prctlNames: Record<number, string> = {
  [PR.CAPBSET_DROP]: 'PR_CAPBSET_DROP',
  [PR.SET_NO_NEW_PRIVS]: 'PR_SET_NO_NEW_PRIVS',
  [PR.GET_NO_NEW_PRIVS]: 'PR_GET_NO_NEW_PRIVS',
  [PR.CAP_AMBIENT]: 'PR_CAP_AMBIENT',
};

/** prctl(2) with integer arguments; returns the call's result. */
export function prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  const f = fn('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
  return check('prctl', () => `${prctlNames[option] ?? option}, ${a2}, ${a3}`, f(option, a2, a3, a4, a5));
}

const CAP_VERSION_3 = 0x20080522;

/** The three capability sets of the calling thread, as 64-bit masks. */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** capget(2) for the calling thread. */
export function capget(): CapSets {
  const { header, data } = capBuffers();
  check('capget', 'self', fn('int capget(void *header, void *data)')(header, data));
  const word = (i: number): bigint => BigInt(data.readUInt32LE(i)) | (BigInt(data.readUInt32LE(i + 12)) << 32n);
  return { effective: word(0), permitted: word(4), inheritable: word(8) };
}

/** capset(2) to all-empty sets: effective, permitted and inheritable become 0. */
export function capsetClear(): void {
  const { header, data } = capBuffers();
  check('capset', 'self, {0, 0, 0}', fn('int capset(void *header, void *data)')(header, data));
}

function capBuffers(): { header: Buffer; data: Buffer } {
  const header = Buffer.alloc(8); // struct __user_cap_header_struct { u32 version; int pid; }
  header.writeUInt32LE(CAP_VERSION_3, 0);
  // Two struct __user_cap_data_struct { u32 effective, permitted, inheritable } (low and high words).
  return { header, data: Buffer.alloc(24) };
}

/** setgroups(2): the supplementary group list. */
export function setgroups(gids: number[]): void {
  const list = Buffer.alloc(4 * Math.max(gids.length, 1));
  gids.forEach((g, i) => list.writeUInt32LE(g, 4 * i));
  check('setgroups', `[${gids.join(', ')}]`, fn('int setgroups(size_t size, void *list)')(gids.length, list));
}

/** setresgid(2) with the same gid for real, effective and saved. */
export function setresgid(gid: number): void {
  check('setresgid', `${gid}, ${gid}, ${gid}`, fn('int setresgid(uint32_t r, uint32_t e, uint32_t s)')(gid, gid, gid));
}

/** setresuid(2) with the same uid for real, effective and saved. */
export function setresuid(uid: number): void {
  check('setresuid', `${uid}, ${uid}, ${uid}`, fn('int setresuid(uint32_t r, uint32_t e, uint32_t s)')(uid, uid, uid));
}
