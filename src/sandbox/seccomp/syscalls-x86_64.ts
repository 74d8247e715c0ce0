/**
 * The x86_64 system call numbers the seccomp policy names, the audit arch values it checks, and
 * the layout of struct seccomp_data it reads. x86_64 only: the sandbox refuses other hosts
 * (libc/koffi.ts), and the filter kills any process that enters the kernel through another ABI.
 *
 * Numbers from arch/x86/entry/syscalls/syscall_64.tbl ("common" and "64" rows; the unit tests
 * compare them with <asm/unistd_64.h> where the header has them). Calls that exist only in the
 * i386 table (stime, umount, vm86, vm86old, socketcall, the *_time64 variants) have no entry:
 * i386 entry points are refused as a whole (see AUDIT_ARCH below).
 */

/** Syscall numbers of the native x86_64 ABI, by name. */
export const NR_X86_64 = {
  ioctl: 16,
  socket: 41,
  clone: 56,
  fork: 57,
  vfork: 58,
  ptrace: 101,
  syslog: 103,
  uselib: 134,
  personality: 135,
  ustat: 136,
  sysfs: 139,
  vhangup: 153,
  pivot_root: 155,
  _sysctl: 156,
  adjtimex: 159,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  iopl: 172,
  ioperm: 173,
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  get_kernel_syms: 177,
  query_module: 178,
  quotactl: 179,
  nfsservctl: 180,
  lookup_dcookie: 212,
  clock_settime: 227,
  mbind: 237,
  set_mempolicy: 238,
  get_mempolicy: 239,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  move_pages: 279,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  seccomp: 317,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  pidfd_getfd: 438,
  process_madvise: 440,
  mount_setattr: 442,
  quotactl_fd: 443,
  set_mempolicy_home_node: 450,
  open_tree_attr: 467,
} as const;

/** A syscall name the policy may use. */
export type SyscallName = keyof typeof NR_X86_64;

/**
 * x32 syscalls enter through the same `syscall` instruction with AUDIT_ARCH_X86_64 but with this
 * bit set in the number (__X32_SYSCALL_BIT), so the arch check alone does not catch them.
 */
export const X32_SYSCALL_BIT = 0x40000000;

/** AUDIT_ARCH_* values (linux/audit.h): EM_* machine | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  /** int 0x80 and sysenter from a 64-bit or 32-bit process on an IA32_EMULATION kernel. */
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
} as const;

/**
 * Byte offsets in struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }.
 * Classic BPF loads 32-bit words, so a 64-bit argument is two loads; on little-endian x86_64 the
 * low word comes first.
 */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  argLow: (i: number): number => 16 + 8 * i,
  argHigh: (i: number): number => 20 + 8 * i,
  size: 64,
} as const;
