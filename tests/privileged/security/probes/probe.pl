#!/usr/bin/perl
# Security probes, run INSIDE a sandbox (a joblet job, or bubblewrap for the comparison in
# bench/security-compare.ts). Each probe attempts one thing a job must not be able to do and
# prints one line: "<name>\t<outcome>", where the outcome is "ok" (the attempt succeeded), an
# errno name (EPERM, EROFS, ...) or a short description. The tests decide what is safe.
#
# Usage: perl probe.pl [name ...|all] [key=value ...]   ("all": every probe but forks and nofile)
#   keys (each repeatable): hostpid=PID, victim=PID, hostpath=PATH,
#   target=IP:PORT, [IPv6]:PORT or gateway:PORT (the default gateway), abstract=NAME
#
# Every probe is harmless even when the sandbox is broken: nothing is ever written to a kernel
# knob (write probes only open for writing, then close); privileged calls get arguments that the
# kernel rejects with EINVAL/ENOENT/EFAULT/EBADF after its permission check (so such an errno
# means the call got past every filter: a FAILURE of the sandbox), or ask for what is already
# there (sethostname with the current name, a remount with the current flags); mounts go on a
# scratch directory and are detached at once; files and nodes created are removed at once; and
# each probe runs in its own forked child, so a successful unshare/chroot/setsid cannot change
# the next probe's view. The syscall numbers are x86_64's: anywhere else the script refuses to run.
use strict;
use warnings;
no warnings 'portable';    # 64-bit ioctl numbers on purpose (TIOCSTI with high bits set)
use Errno ();
use Fcntl qw(O_RDONLY O_WRONLY O_RDWR O_CREAT O_EXCL O_NOCTTY);
use POSIX ();

$| = 1;
die "probe.pl: syscall numbers are for x86_64, this is " . (POSIX::uname())[4] . "\n" unless (POSIX::uname())[4] eq 'x86_64';

# --- errno names -------------------------------------------------------------------------
my %ERRNAME;
for my $n (sort keys %!) {
  no strict 'refs';
  my $v = eval { &{"Errno::$n"}() };
  $ERRNAME{$v} //= $n if defined $v;
}
$ERRNAME{ Errno::EOPNOTSUPP() } = 'EOPNOTSUPP';
$ERRNAME{ Errno::EAGAIN() }     = 'EAGAIN';

sub err { my $e = 0 + $!; return $ERRNAME{$e} // "errno$e" }

# A raw syscall: "ok" on success, else the errno name.
# (syscall's first argument is a scalar: `syscall(@_)` would pass the argument count as the number.)
sub sc { my ($nr, @a) = @_; my $r = syscall($nr, @a); return $r == -1 ? err() : 'ok' }

# A syscall that returns an fd on success: closed again at once.
sub scfd {
  my ($nr, @a) = @_;
  my $r = syscall($nr, @a);
  return err() if $r == -1;
  POSIX::close($r);
  return 'ok';
}

# Open for writing only (no O_TRUNC, nothing written): proves writability without changing anything.
sub openw {
  my ($path) = @_;
  sysopen(my $fh, $path, O_WRONLY) or return err();
  close $fh;
  return 'ok';
}

# Create a file; removed again if that worked.
sub create {
  my ($path) = @_;
  sysopen(my $fh, $path, O_WRONLY | O_CREAT | O_EXCL, 0644) or return err();
  close $fh;
  unlink $path;
  return 'ok';
}

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return undef; local $/; my $s = <$fh>; close $fh; return $s }

# --- arguments ---------------------------------------------------------------------------
my (@names, %arg);
for (@ARGV) {
  if (/^([a-z]+)=(.*)$/s) { push @{ $arg{$1} }, $2 } else { push @names, $_ }
}

# x86_64 syscall numbers.
my %NR = (
  ioctl => 16, clone => 56, ptrace => 101, syslog => 103, mknod => 133, personality => 135,
  pivot_root => 155, chroot => 161, acct => 163, settimeofday => 164, mount => 165, umount2 => 166,
  swapon => 167, reboot => 169, sethostname => 170, iopl => 172, ioperm => 173, init_module => 175,
  delete_module => 176, clock_settime => 227, kexec_load => 246, add_key => 248, request_key => 249,
  keyctl => 250, unshare => 272, perf_event_open => 298, name_to_handle_at => 303,
  open_by_handle_at => 304, setns => 308, process_vm_readv => 310, finit_module => 313,
  kexec_file_load => 320, bpf => 321, userfaultfd => 323, io_uring_setup => 425,
  io_uring_enter => 426, io_uring_register => 427, open_tree => 428, fsopen => 430,
  pidfd_open => 434, clone3 => 435,
);

my %CLONE = (NEWNS => 0x00020000, NEWCGROUP => 0x02000000, NEWUTS => 0x04000000, NEWIPC => 0x08000000,
  NEWUSER => 0x10000000, NEWPID => 0x20000000, NEWNET => 0x40000000);
my $SIGCHLD = 17;
my $MNT = '/tmp/joblet-probe-mnt';

# Mount something on a scratch directory; unmounted again if that worked.
sub try_mount {
  my ($src, $type, $flags, $data) = @_;
  mkdir $MNT;
  my $r = syscall($NR{mount}, $src, $MNT, $type, $flags, $data);
  if ($r == -1) { my $e = err(); rmdir $MNT; return $e }
  syscall($NR{umount2}, $MNT, 2);
  rmdir $MNT;
  return 'ok';
}

# A child that waits to be looked at (ptrace, process_vm_readv), killed by the caller.
sub sleeper { my $pid = fork // return; if ($pid == 0) { sleep 30; POSIX::_exit(0) } return $pid }

my %P;

# --- identity and privileges ---------------------------------------------------------------
my $status = slurp('/proc/self/status') // '';
sub status_field { my ($f) = @_; return $status =~ /^\Q$f\E:\s*(.*)$/m ? $1 : 'absent' }
$P{uid}          = sub { my @u = split /\s+/, status_field('Uid'); "real=$u[0] effective=$u[1]" };
$P{cap_eff}      = sub { status_field('CapEff') };
$P{cap_prm}      = sub { status_field('CapPrm') };
$P{cap_bnd}      = sub { status_field('CapBnd') };
$P{cap_amb}      = sub { status_field('CapAmb') };
$P{no_new_privs} = sub { status_field('NoNewPrivs') };
$P{seccomp}      = sub { status_field('Seccomp') };

# Only 0, 1 and 2 open at start (read before any probe opened anything).
my @startfds = grep { defined readlink("/proc/self/fd/$_") } 0 .. 4095;
$P{fds} = sub { join ',', @startfds };
$P{fd_kinds} = sub { join ' ', map { my $l = readlink("/proc/self/fd/$_") // '?'; $l =~ s/:\[\d+\]$//; "$_=$l" } 0 .. 2 };

# --- keyrings, bpf, io_uring, userfaultfd, perf ---------------------------------------------
$P{keyctl}            = sub { sc($NR{keyctl}, 0, -3, 0) };    # KEYCTL_GET_KEYRING_ID(session), no create
$P{add_key}           = sub { sc($NR{add_key}, 'joblet-no-such-type', 'joblet-probe', 'x', 1, -2) };    # ENODEV if it got through
$P{request_key}       = sub { sc($NR{request_key}, 'user', 'joblet-probe-missing', 0, 0) };    # ENOKEY if it got through
$P{bpf}               = sub { sc($NR{bpf}, 9999, 0, 0) };     # no such command: EINVAL if it got through
$P{io_uring_setup}    = sub { scfd($NR{io_uring_setup}, 1, "\0" x 120) };
$P{io_uring_enter}    = sub { sc($NR{io_uring_enter}, -1, 0, 0, 0, 0, 0) };
$P{io_uring_register} = sub { sc($NR{io_uring_register}, -1, 0, 0, 0) };
$P{userfaultfd}       = sub { scfd($NR{userfaultfd}, 1) };    # UFFD_USER_MODE_ONLY: the kernel allows it to anyone
$P{perf_event_open}   = sub { sc($NR{perf_event_open}, 0, 0, -1, -1, 0) };    # NULL attr: EFAULT if it got through

# --- kexec, modules, reboot, clock, host administration ------------------------------------
# Invalid arch in the flags and too many segments: EINVAL after the capability check.
$P{kexec_load}      = sub { sc($NR{kexec_load}, 0, 1000, 0, 0xdead0000) };
$P{kexec_file_load} = sub { sc($NR{kexec_file_load}, -1, -1, 0, 0, 0xdead0000) };
$P{init_module}     = sub { sc($NR{init_module}, 0, 0, '') };
$P{finit_module}    = sub { sc($NR{finit_module}, -1, '', 0) };
$P{delete_module}   = sub { sc($NR{delete_module}, 'joblet_no_such_module', 0x800) };
$P{reboot}          = sub { sc($NR{reboot}, 0, 0, 0, 0) };    # bad magic: EINVAL after the capability check
$P{settimeofday}    = sub { sc($NR{settimeofday}, pack('q q', 0, 2_000_000), 0) };       # tv_usec out of range
$P{clock_settime}   = sub { sc($NR{clock_settime}, 0, pack('q q', 0, 2_000_000_000)) };  # tv_nsec out of range
$P{sethostname}     = sub { my $h = (POSIX::uname())[1]; sc($NR{sethostname}, $h, length $h) };    # the name it already has
$P{syslog}          = sub { sc($NR{syslog}, 10, 0, 0) };      # SYSLOG_ACTION_SIZE_BUFFER (read-only)
$P{swapon}          = sub { sc($NR{swapon}, '/joblet-no-such-swap', 0) };
$P{acct}            = sub { sc($NR{acct}, '/joblet-no-such-file') };
$P{iopl}            = sub { sc($NR{iopl}, 3) };
$P{ioperm}          = sub { sc($NR{ioperm}, 0x80, 1, 1) };
$P{personality}     = sub { sc($NR{personality}, 0x0040000) };    # ADDR_NO_RANDOMIZE

# --- namespaces -------------------------------------------------------------------------------
for my $ns (qw(USER NS NET PID UTS IPC CGROUP)) {
  $P{"unshare_\L$ns"} = sub { sc($NR{unshare}, $CLONE{"NEW$ns"}) };
}
$P{setns} = sub { sc($NR{setns}, -1, 0) };    # EBADF if it got through
$P{clone_newuser} = sub {
  my $r = syscall($NR{clone}, $CLONE{NEWUSER} | $SIGCHLD, 0, 0, 0, 0);
  POSIX::_exit(0) if $r == 0;    # the child, in a user namespace of its own
  return err() if $r == -1;
  waitpid($r, 0);
  return 'ok';
};
$P{clone_newns} = sub {
  my $r = syscall($NR{clone}, $CLONE{NEWNS} | $SIGCHLD, 0, 0, 0, 0);
  POSIX::_exit(0) if $r == 0;
  return err() if $r == -1;
  waitpid($r, 0);
  return 'ok';
};
$P{clone3} = sub { sc($NR{clone3}, 0, 0) };    # size 0: EINVAL if it got through

# --- mounts and roots ------------------------------------------------------------------------
$P{mount_tmpfs}   = sub { try_mount('none', 'tmpfs', 0, 0) };
$P{mount_proc}    = sub { try_mount('proc', 'proc', 0, 0) };
$P{mount_cgroup}  = sub { try_mount('cgroup', 'cgroup', 0, 'memory') };
$P{mount_cgroup2} = sub { try_mount('cgroup2', 'cgroup2', 0, 0) };
$P{bind_root}     = sub { try_mount('/', 0, 0x1000, 0) };    # MS_BIND
# A bind remount of /usr with exactly the flags it has now (read from mountinfo), so that even
# success changes nothing; where /usr is no mount point the kernel says EINVAL.
$P{remount_usr} = sub {
  my ($opts) = map { (split / /)[5] } grep { (split / /)[4] eq '/usr' } split /\n/, (slurp('/proc/self/mountinfo') // '');
  my %o = map { $_ => 1 } split /,/, ($opts // 'ro');
  my $flags = 0x20 | 0x1000;    # MS_REMOUNT | MS_BIND
  $flags |= 0x1 if $o{ro};
  $flags |= 0x2 if $o{nosuid};
  $flags |= 0x4 if $o{nodev};
  $flags |= 0x8 if $o{noexec};
  $flags |= 0x400 if $o{noatime};
  $flags |= 0x800 if $o{nodiratime};
  $flags |= 0x200000 if $o{relatime};
  sc($NR{mount}, 0, '/usr', 0, $flags, 0);
};
$P{umount}        = sub { sc($NR{umount2}, '/joblet-no-such-mount', 8) };    # ENOENT if it got through
$P{pivot_root}    = sub { sc($NR{pivot_root}, '/joblet-no-such-dir', '/joblet-no-such-dir') };
$P{fsopen}        = sub { scfd($NR{fsopen}, 'tmpfs', 0) };
$P{open_tree}     = sub { scfd($NR{open_tree}, -100, '/', 1) };    # OPEN_TREE_CLONE
# chroot needs CAP_SYS_CHROOT; if it ever works, try the classic escape with a directory fd
# opened outside the jail, and report what "/" is afterwards.
my $JAIL = '/tmp/joblet-jail';    # removed by the runner (a chrooted probe cannot reach it)
$P{chroot} = sub {
  mkdir $JAIL;
  opendir(my $outside, '/') or return 'opendir: ' . err();
  chroot($JAIL) or return err();
  chdir($outside) or return 'chrooted; fchdir: ' . err();
  chdir('..') for 1 .. 64;
  chroot('.');
  opendir(my $d, '/') or return 'chrooted; escape: ' . err();
  return 'chrooted; / after escape: ' . join(' ', sort grep { !/^\./ } readdir $d);
};
$P{open_by_handle_at} = sub { sc($NR{open_by_handle_at}, -100, pack('L L', 8, 1) . "\0" x 8, 0) };
$P{name_to_handle_at} = sub { my $h = pack('L', 128) . "\0" x 132; my $m = "\0" x 4; sc($NR{name_to_handle_at}, -100, '/usr', $h, $m, 0) };

# --- device nodes -----------------------------------------------------------------------------
$P{mknod_chr} = sub { my $r = sc($NR{mknod}, '/tmp/joblet-null', 020666, 0x103); unlink '/tmp/joblet-null'; $r };      # 1:3
$P{mknod_blk} = sub { my $r = sc($NR{mknod}, '/tmp/joblet-vda', 060600, 0xfe00); unlink '/tmp/joblet-vda'; $r };      # 254:0
$P{dev_list}  = sub { opendir(my $d, '/dev') or return err(); join ' ', sort grep { !/^\./ } readdir $d };

# --- sockets ------------------------------------------------------------------------------------
$P{socket_packet}   = sub { scfd(41, 17, 3, 0x0300) };    # AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)
$P{socket_raw}      = sub { scfd(41, 2, 3, 1) };          # AF_INET, SOCK_RAW, ICMP
$P{socket_raw6}     = sub { scfd(41, 10, 3, 58) };        # AF_INET6, SOCK_RAW, ICMPv6
$P{socket_alg}      = sub { scfd(41, 38, 5, 0) };         # AF_ALG
$P{socket_vsock}    = sub { scfd(41, 40, 1, 0) };         # AF_VSOCK: the hypervisor's host
$P{net_ifaces}      = sub { opendir(my $d, '/sys/class/net') or return err(); join ' ', sort grep { !/^\./ } readdir $d };
$P{routes_v4}       = sub { my $t = slurp('/proc/net/route') // return err(); scalar(grep { /\S/ } split /\n/, $t) - 1 };
$P{routes_v6}       = sub { my $t = slurp('/proc/net/ipv6_route') // return err(); scalar(grep { /\S/ && !/\slo$/ } split /\n/, $t) };
# The IPv4 default gateway from /proc/net/route (the host, on bridged networks).
sub default_gateway {
  for (split /\n/, (slurp('/proc/net/route') // '')) {
    my @f = split /\s+/;
    return join '.', reverse map { hex } unpack('(A2)4', $f[2]) if @f > 2 && $f[1] eq '00000000';
  }
  return undef;
}

# TCP connects to target=IPv4:PORT or target=[IPv6]:PORT (loopback and host addresses only), 1 s
# each: a dropped SYN reports ETIMEDOUT.
$P{connect} = sub {
  require IO::Socket::IP;
  my @out;
  for my $t (@{ $arg{target} // [] }) {
    my ($ip, $port) = $t =~ /^\[?([^\]]+?)\]?:(\d+)$/ or return "bad target $t";
    $ip = default_gateway() // return 'no default route' if $ip eq 'gateway';
    my $s = IO::Socket::IP->new(PeerHost => $ip, PeerPort => $port, Proto => 'tcp', Timeout => 1);
    push @out, "$t=" . ($s ? 'ok' : err());
    close $s if $s;
  }
  join ' ', @out;
};

# Connects to abstract unix sockets (abstract=NAME): they belong to the network namespace, so a
# host service listening on one (the containerd-shim escape, CVE-2020-15257) must be out of reach.
$P{unix_abstract} = sub {
  require Socket;
  join ' ', map {
    my $name = $_;
    socket(my $s, Socket::AF_UNIX(), Socket::SOCK_STREAM(), 0) or return 'socket: ' . err();
    # Exact length: pack_sockaddr_un pads the name with NULs, which are part of an abstract name.
    my $ok = connect($s, pack('S', Socket::AF_UNIX()) . "\0$name");
    close $s;
    "$name=" . ($ok ? 'ok' : err());
  } @{ $arg{abstract} // [] };
};

# --- terminals ------------------------------------------------------------------------------------
for my $fd (0 .. 2) {
  $P{"tiocsti_$fd"}    = sub { my $c = 'x'; sc($NR{ioctl}, $fd, 0x5412, $c) };
  $P{"tiocsti_hi_$fd"} = sub { my $c = 'x'; sc($NR{ioctl}, $fd, 0x100005412, $c) };    # high bits the kernel drops
}
# TIOCSTI on a terminal that IS our controlling terminal (a pty of our own): the kernel allows
# that to anyone (dev.tty.legacy_tiocsti=1); only the filter stops it.
$P{tiocsti_ctty} = sub {
  $SIG{HUP} = 'IGNORE';    # closing the master hangs up our own controlling terminal
  sysopen(my $m, '/dev/ptmx', O_RDWR | O_NOCTTY) or return 'ptmx: ' . err();
  my $n = pack('L', 0);
  ioctl($m, 0x80045430, $n) or return 'TIOCGPTN: ' . err();
  my $unlock = pack('L', 0);
  ioctl($m, 0x40045431, $unlock) or return 'TIOCSPTLCK: ' . err();
  POSIX::setsid() // return 'setsid: ' . err();
  sysopen(my $s, '/dev/pts/' . unpack('L', $n), O_RDWR) or return 'open pts: ' . err();
  my $c = 'x';
  return sc($NR{ioctl}, fileno($s), 0x5412, $c);
};
$P{tioclinux} = sub { my $c = "\x02"; sc($NR{ioctl}, 0, 0x541c, $c) };

# --- processes ---------------------------------------------------------------------------------
$P{host_pids} = sub {
  join ' ', map { my $k = kill(0, $_) ? 'ok' : err(); my $p = -e "/proc/$_" ? 'visible' : 'absent'; my $f = sc($NR{pidfd_open}, $_, 0); "$_:kill=$k,proc=$p,pidfd=$f" } @{ $arg{hostpid} // [] };
};
# SIGUSR1 to processes the test started on the host for this purpose (harmless if it arrives).
$P{signal} = sub { join ' ', map { "$_:" . (kill('USR1', $_) ? 'ok' : err()) } @{ $arg{victim} // [] } };
$P{visible_pids} = sub { opendir(my $d, '/proc') or return err(); join ' ', sort { $a <=> $b } grep { /^\d+$/ } readdir $d };
# Session id, whether a controlling terminal can be opened, and tty_nr of /proc/self/stat.
$P{session} = sub {
  my $sid = syscall(124, 0);    # getsid(0)
  my $tty = sysopen(my $fh, '/dev/tty', O_RDWR) ? 'ok' : err();
  my ($nr) = (slurp('/proc/self/stat') // '') =~ /\) \S+ \d+ \d+ \d+ (-?\d+)/;
  "sid=$sid tty=$tty tty_nr=$nr";
};
# Mount points where a setuid bit would count.
$P{suid_mounts} = sub {
  my @m = map { (split / /)[4] } grep { (split / /)[5] !~ /\bnosuid\b/ } grep { /\S/ } split /\n/, (slurp('/proc/self/mountinfo') // '');
  @m ? join(' ', @m) : 'none';
};
$P{ptrace} = sub {
  my $pid = sleeper() // return 'fork: ' . err();
  my $r = sc($NR{ptrace}, 16, $pid, 0, 0);    # PTRACE_ATTACH
  kill 9, $pid;
  waitpid($pid, 0);
  $r;
};
$P{process_vm_readv} = sub {
  my $pid = sleeper() // return 'fork: ' . err();
  my $buf = "\0" x 8;
  my $iov = pack('Q Q', unpack('J', pack('p', $buf)), 8);    # the same address in the forked child
  my $r = sc($NR{process_vm_readv}, $pid, $iov, 1, $iov, 1, 0);
  kill 9, $pid;
  waitpid($pid, 0);
  $r;
};

# --- /proc, /sys and cgroups -------------------------------------------------------------------
$P{proc_sys_printk}  = sub { openw('/proc/sys/kernel/printk_ratelimit') };
$P{proc_sys_core}    = sub { openw('/proc/sys/kernel/core_pattern') };
$P{proc_sys_lastpid} = sub { openw('/proc/sys/kernel/ns_last_pid') };    # mode 0666
$P{sysrq_trigger}    = sub { openw('/proc/sysrq-trigger') };
# The first of these that exists (kernels differ): host-wide knobs, root-writable by mode.
$P{sys_knob} = sub {
  my ($f) = grep { -e } qw(/sys/kernel/uevent_helper /sys/kernel/mm/transparent_hugepage/enabled /sys/module/printk/parameters/time /sys/kernel/profiling);
  defined $f ? "$f=" . openw($f) : 'none found';
};
$P{sys_mkdir} = sub { mkdir('/sys/joblet-probe') ? do { rmdir '/sys/joblet-probe'; 'ok' } : err() };
$P{sys_writable} = sub {
  my @w = split /\n/, `find /sys /proc/sys -writable \\( -type f -o -type d \\) 2>/dev/null`;
  scalar(@w) ? scalar(@w) . ': ' . join(' ', @w[0 .. ($#w < 4 ? $#w : 4)]) : 'none';
};
$P{cgroupfs} = sub {
  my @m = grep { / - cgroup2? / } split /\n/, (slurp('/proc/self/mountinfo') // '');
  @m ? join(' | ', map { (split / /)[4] } @m) : 'none';
};
$P{release_agent} = sub {
  my @f = split /\n/, `find / -path /proc -prune -o -path /usr -prune -o \\( -name release_agent -o -name notify_on_release \\) -print 2>/dev/null`;
  @f ? join(' ', @f) : 'none';
};
for my $f (qw(kcore keys timer_list sched_debug)) {
  $P{"proc_$f"} = sub { return 'absent' unless -e "/proc/$f"; my $s = slurp("/proc/$f"); defined $s ? (length $s ? 'readable' : 'empty') : err() };
}
$P{proc_kallsyms} = sub {
  my $s = slurp('/proc/kallsyms') // return err();
  return 'empty' unless length $s;
  (grep { !/^0{16} / } split /\n/, $s) ? 'addresses' : 'zeroed';
};

# --- resources ------------------------------------------------------------------------------------
# RLIMIT_NOFILE (7) and RLIMIT_CORE (4): soft/hard, and whether the hard limit can be raised.
sub rlimit {
  my ($res) = @_;
  my $buf = "\0" x 16;
  syscall(97, $res, $buf) == 0 or return 'getrlimit: ' . err();    # getrlimit
  my ($soft, $hard) = unpack('Q Q', $buf);
  my $raise = $hard == ~0 ? 'unlimited' : sc(160, $res, pack('Q Q', $hard + 1, $hard + 1));    # setrlimit above the hard limit
  return ($soft, $hard, $raise);
}
$P{nofile} = sub {
  my ($soft, $hard, $raise) = rlimit(7);
  my @fh;
  while (1) { open(my $fh, '<', '/dev/null') or last; push @fh, $fh; last if @fh > 1_000_000 }
  my $e = err();
  "limit=$soft/$hard opened=" . scalar(@fh) . " then=$e raise=$raise";
};
$P{core} = sub { my ($soft, $hard, $raise) = rlimit(4); "limit=$soft/$hard raise=$raise" };
# Forks children that wait, until fork fails; reports how many it got.
$P{forks} = sub {
  my @kids;
  while (@kids < 100_000) {
    my $pid = fork;
    last unless defined $pid;
    if ($pid == 0) { sleep 30; POSIX::_exit(0) }
    push @kids, $pid;
  }
  my $e = err();
  kill 9, @kids;
  waitpid($_, 0) for @kids;
  'forked=' . scalar(@kids) . " then=$e";
};

# --- file system ---------------------------------------------------------------------------------
$P{write_usr}        = sub { create('/usr/joblet-probe') };
$P{write_root}       = sub { create('/joblet-probe') };
$P{write_etc}        = sub { create('/etc/joblet-probe') };
$P{write_etc_passwd} = sub { openw('/etc/passwd') };
$P{write_dev}        = sub { create('/dev/joblet-probe') };
$P{write_tmp}        = sub { create('/tmp/joblet-probe') };
$P{write_work}       = sub { create('/work/joblet-probe') };
$P{host_paths}       = sub { join ' ', map { "$_=" . (-e $_ ? 'visible' : 'absent') } @{ $arg{hostpath} // [] } };
$P{etc_shadow}       = sub { -e '/etc/shadow' ? 'visible' : 'absent' };

# --- run ---------------------------------------------------------------------------------------------
# Probes that exhaust a resource only make sense under a limit: never part of "all".
my %HEAVY = map { $_ => 1 } qw(forks nofile);
@names = grep { !$HEAVY{$_} } sort keys %P if !@names || grep { $_ eq 'all' } @names;
for my $name (@names) {
  my $probe = $P{$name};
  unless ($probe) { print "$name\tunknown probe\n"; next }
  pipe(my $r, my $w) or die "pipe: $!";
  my $pid = fork // die "fork: $!";
  if ($pid == 0) {
    close $r;
    my $out = eval { $probe->() } // "died: $@";
    $out =~ s/[\t\n]+/ /g;
    syswrite $w, $out;
    POSIX::_exit(0);
  }
  close $w;
  my $out = do { local $/; <$r> } // '';
  close $r;
  waitpid($pid, 0);
  # A probe that acquired a terminal may get SIGHUP as it exits; its answer was already sent.
  $out = 'killed by signal ' . ($? & 127) if ($? & 127) && $out eq '';
  print "$name\t$out\n";
}
rmdir $JAIL;
