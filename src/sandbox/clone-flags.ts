/**
 * clone(2) namespace flags (linux/sched.h): one table for the code that creates namespaces
 * (libc/ns.ts) and for the seccomp policy that forbids jobs to. Plain data, no koffi, so the
 * policy and its unit tests load without libc.
 */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;
