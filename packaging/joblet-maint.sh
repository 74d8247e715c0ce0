#!/bin/sh
# joblet-maint: what the .deb and .rpm maintainer scripts and install.sh share, in one place.
# The package build inlines the functions below into every maintainer script (so that `purge`
# works after the files are gone); packages also install this file as /usr/lib/joblet/joblet-maint
# for hosts without systemd:
#
#   joblet-maint start | stop | restart | status   run `joblet serve` in the background (pid file
#                                                   /run/joblet.pid, log /var/log/joblet.log)
#   joblet-maint configure [--address HOST:PORT] [--host NAME]... [--instance NAME] [--state-dir DIR]
#                                                   `joblet init` with this host's names and addresses
#   joblet-maint sweep                              remove what a killed daemon left behind
#   joblet-maint purge                              delete state, config, log and cache
#   joblet-maint client-help                        where the client config is and how to copy it
#
# POSIX sh (dpkg and rpm run maintainer scripts with /bin/sh, which is dash on Debian).
# Environment: JOBLET_BIN (default /usr/lib/joblet/joblet), JOBLET_CONFIG_DIR (/opt/joblet/config),
# JOBLET_PIDFILE, JOBLET_LOGFILE, JOBLET_STATE_DIR (the state dir when no config names one);
# configure also reads JOBLET_ADDRESS, JOBLET_HOSTS (names or addresses separated by spaces or
# commas), JOBLET_INSTANCE and JOBLET_STATE_DIR. install.sh sources this file as a library
# (JOBLET_MAINT_LIBRARY=1) with these set to its own paths.

# ---- begin library (inlined by scripts/package.mjs) ----
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
JM_BIN="${JOBLET_BIN:-/usr/lib/joblet/joblet}"
JM_CONFIG_DIR="${JOBLET_CONFIG_DIR:-/opt/joblet/config}"
JM_SERVER_CONFIG="$JM_CONFIG_DIR/joblet-config.yml"
JM_CLIENT_CONFIG="$JM_CONFIG_DIR/rnx-config.yml"
JM_PIDFILE="${JOBLET_PIDFILE:-/run/joblet.pid}"
JM_LOGFILE="${JOBLET_LOGFILE:-/var/log/joblet.log}"
# Where the daemon extracts its native module (src/sandbox/libc/koffi.ts): a cache, made at run
# time, content-addressed and shared by every joblet executable on the host (other installs too).
JM_CACHE_DIR=/var/cache/joblet
JM_UNIT=joblet.service
JM_DEFAULT_STATE_DIR=/opt/joblet
# How long a stopping daemon may take: the jobs' stop grace, then clean-up (as TimeoutStopSec).
JM_STOP_SECONDS=30
# How long a starting daemon may take to listen (it reconciles jobs, volumes and networks first).
JM_START_SECONDS=60

jm_say() { printf 'joblet: %s\n' "$*"; }
jm_warn() { printf 'joblet: warning: %s\n' "$*" >&2; }

# systemd's own test (sd_booted): this directory exists only when systemd is PID 1.
jm_has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# A top-level `server:` key of the server config (address, stateDir, instance), unquoted; empty if absent.
jm_config_value() {
  [ -r "$JM_SERVER_CONFIG" ] || return 0
  sed -n "/^server:/,/^[^[:space:]#]/{s/^[[:space:]][[:space:]]*$1:[[:space:]]*\"\{0,1\}\([^\"#[:space:]]*\)\"\{0,1\}.*$/\1/p;}" "$JM_SERVER_CONFIG" | head -n 1
}
jm_instance() { v="$(jm_config_value instance)"; printf '%s\n' "${v:-joblet}"; }
# The config's stateDir; without a config (purged, never made) JOBLET_STATE_DIR, else the default.
jm_state_dir() { v="$(jm_config_value stateDir)"; printf '%s\n' "${v:-${JOBLET_STATE_DIR:-$JM_DEFAULT_STATE_DIR}}"; }

# True when PID runs `<something>/joblet serve ...` (a zombie or a recycled pid does not count).
jm_is_daemon() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
  case "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" in
    */joblet\ serve* | joblet\ serve*) return 0 ;;
  esac
  return 1
}

# True while PID exists and is no zombie.
jm_alive() {
  st="$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)"
  [ -n "$st" ] && [ "$st" != Z ]
}

# Pid of the daemon that holds this install's state dir (however it was started), else of the
# background daemon in the pid file; empty when none runs.
jm_daemon_pid() {
  for f in "$(jm_state_dir)/joblet.pid" "$JM_PIDFILE"; do
    [ -r "$f" ] || continue
    p="$(tr -dc '0-9' <"$f")"
    if jm_is_daemon "$p"; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  return 0
}

# This host's names and global addresses, one per line, for the server certificate. joblet init
# adds localhost, 127.0.0.1, ::1, "joblet" and the short host name itself.
jm_host_names() {
  fqdn="$(timeout 5 hostname -f 2>/dev/null || true)"
  case "$fqdn" in *.*) printf '%s\n' "$fqdn" ;; esac
  # Addresses of every interface but joblet's own bridges and job links (jb…, jv…).
  ip -o addr show scope global 2>/dev/null | awk '$2 !~ /^j[bv][0-9a-f]+/ { split($4, a, "/"); print a[1] }'
}

# A DNS name or an IP address that joblet init accepts (other words are left out with a warning).
jm_valid_host() {
  case "$1" in
    '' | *[!A-Za-z0-9.:*-]* | -* | .*) return 1 ;;
  esac
  return 0
}

# Check HOST:PORT the way joblet init does (IPv6 in brackets, port 1-65535).
jm_valid_address() {
  port="${1##*:}"
  host="${1%:*}"
  case "$port" in '' | *[!0-9]*) return 1 ;; esac
  [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || return 1
  case "$host" in
    '' | *[!A-Za-z0-9.:\[\]-]*) return 1 ;;
    \[*\]) return 0 ;;
    *:*) return 1 ;;
  esac
  return 0
}

# joblet init with this host's names, unless both configs exist: a new CA would lock out every
# client config already handed out, so upgrades and re-installs keep them.
# Args: ADDRESS INSTANCE STATE_DIR EXTRA_HOSTS (space/comma separated).
jm_configure() {
  address="$1" instance="$2" state="$3" extra="$4"
  if [ -e "$JM_SERVER_CONFIG" ] && [ -e "$JM_CLIENT_CONFIG" ]; then
    jm_say "keeping $JM_SERVER_CONFIG and $JM_CLIENT_CONFIG (certificates and settings; to make new ones: joblet init --force --dir $JM_CONFIG_DIR ...)"
    return 0
  fi
  if [ -e "$JM_SERVER_CONFIG" ] || [ -e "$JM_CLIENT_CONFIG" ]; then
    jm_warn "only one of $JM_SERVER_CONFIG and $JM_CLIENT_CONFIG exists; both come from one CA. Move it away and configure again (joblet init --dir $JM_CONFIG_DIR, dpkg-reconfigure joblet, or install.sh again)"
    return 1
  fi
  jm_valid_address "$address" || { jm_warn "invalid listen address '$address': use HOST:PORT, e.g. 0.0.0.0:50051 or [::]:50051"; return 1; }
  set -- init --dir "$JM_CONFIG_DIR" --address "$address" --instance "$instance" --state-dir "$state"
  for h in $(jm_host_names) $(printf '%s' "$extra" | tr ',' ' '); do
    if jm_valid_host "$h"; then set -- "$@" --host "$h"; else jm_warn "'$h' is neither a DNS name nor an IP address; left out of the certificate"; fi
  done
  jm_say "creating the CA, certificates and configs in $JM_CONFIG_DIR"
  out="$("$JM_BIN" "$@")" || { jm_warn "joblet init failed (see above)"; return 1; }
  printf '%s\n' "$out" | sed -n 's/^Server certificate names:/joblet: server certificate names:/p'
}

# The address clients on other machines should use: this host's FQDN, else its first global IPv4.
jm_public_host() {
  fqdn="$(timeout 5 hostname -f 2>/dev/null || true)"
  case "$fqdn" in *.*) printf '%s\n' "$fqdn"; return 0 ;; esac
  a="$(ip -o -4 addr show scope global 2>/dev/null | awk '$2 !~ /^j[bv][0-9a-f]+/ { split($4, a, "/"); print a[1]; exit }')"
  printf '%s\n' "${a:-$(hostname)}"
}

# Where the client config is, and how to use it here and from a laptop.
jm_client_help() {
  addr="$(jm_config_value address)"
  port="${addr##*:}"
  host="$(jm_public_host)"
  echo "joblet: the admin client config is $JM_CLIENT_CONFIG (it holds the admin key; keep it mode 0600)."
  echo "  On this host (as root):  rnx run --wait echo hello"
  echo "  On a laptop:             scp root@$host:$JM_CLIENT_CONFIG ~/.rnx/rnx-config.yml"
  echo "                           then set each node's address: in it to \"$host:${port:-50051}\""
  printf '%s\n' '                           (Windows: %USERPROFILE%\.rnx\rnx-config.yml; node "viewer" is read-only)'
}

# Start `joblet serve` in the background (no systemd): its own session, log appended to the log
# file, pid in the pid file. Waits until it listens, or shows why it did not.
jm_bg_start() {
  pid="$(jm_daemon_pid)"
  if [ -n "$pid" ]; then
    jm_say "the daemon already runs (pid $pid)"
    return 0
  fi
  [ -r "$JM_SERVER_CONFIG" ] || { jm_warn "no $JM_SERVER_CONFIG: configure first (joblet-maint configure, or joblet init)"; return 1; }
  mkdir -p "$(dirname "$JM_LOGFILE")" "$(dirname "$JM_PIDFILE")"
  touch "$JM_LOGFILE"
  chmod 0600 "$JM_LOGFILE"
  # Only this start's lines count: the log already holds earlier "listening on" lines. A line
  # number, not a pattern: the log's text is no regular expression.
  first=$(($(wc -l <"$JM_LOGFILE") + 1))
  printf -- '--- %s starting %s serve (by %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$JM_BIN" "$$" >>"$JM_LOGFILE"
  # setsid: its own session, so the daemon outlives this shell; stdin closed, output to the log.
  setsid "$JM_BIN" serve --config "$JM_SERVER_CONFIG" </dev/null >>"$JM_LOGFILE" 2>&1 &
  pid=$!
  echo "$pid" >"$JM_PIDFILE"
  # By the clock, not by a count of rounds: on a loaded host each round takes far more than 0.1 s.
  deadline=$(($(date +%s) + JM_START_SECONDS))
  while [ "$(date +%s)" -le "$deadline" ]; do
    if tail -n +"$first" "$JM_LOGFILE" | grep -q ' listening on '; then
      jm_say "the daemon runs (pid $pid, log $JM_LOGFILE)"
      return 0
    fi
    # Alive, not "is the daemon": until setsid has exec'd it, the child still runs this shell.
    if ! jm_alive "$pid"; then
      rm -f "$JM_PIDFILE"
      jm_warn "the daemon exited during start-up; its log:"
      tail -n +"$first" "$JM_LOGFILE" | tail -n 20 >&2
      # It may have made its cgroups (or more) before it failed.
      jm_sweep || true
      return 1
    fi
    sleep 0.2
  done
  jm_warn "the daemon (pid $pid) did not listen within $JM_START_SECONDS s; see $JM_LOGFILE"
  return 1
}

# Stop the daemon of this install however it was started (systemd, the pid file, or by hand):
# SIGTERM, and its shutdown stops the jobs and releases cgroups, mounts, loop devices, bridges
# and the nft table; SIGKILL after $JM_STOP_SECONDS. Then sweep whatever is still left.
jm_stop() {
  if jm_has_systemd && systemctl is-active --quiet "$JM_UNIT" 2>/dev/null; then
    jm_say "stopping $JM_UNIT"
    if command -v deb-systemd-invoke >/dev/null 2>&1; then deb-systemd-invoke stop "$JM_UNIT" || true; else systemctl stop "$JM_UNIT" || true; fi
  fi
  pid="$(jm_daemon_pid)"
  if [ -n "$pid" ]; then
    jm_say "stopping the daemon (pid $pid); running jobs are stopped first"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(date +%s) + JM_STOP_SECONDS))
    while jm_is_daemon "$pid" && [ "$(date +%s)" -le "$deadline" ]; do sleep 0.1; done
    if jm_is_daemon "$pid"; then
      jm_warn "daemon $pid did not stop within $JM_STOP_SECONDS s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      i=0
      while jm_is_daemon "$pid" && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
  fi
  if [ -r "$JM_PIDFILE" ] && ! jm_is_daemon "$(tr -dc '0-9' <"$JM_PIDFILE")"; then rm -f "$JM_PIDFILE"; fi
  jm_sweep
}

# Remove what a daemon of this instance left behind when it did not shut down cleanly (killed,
# crashed, power loss): job processes and cgroups, mounts under the state dir, loop devices of its
# volume images, job network namespaces, its bridges and veths (named by their alias) and its nft
# table. A daemon that stopped cleanly left nothing, and then this does nothing. Refuses while a
# daemon of this install still runs.
jm_sweep() {
  instance="$(jm_instance)"
  state="$(jm_state_dir)"
  if [ -n "$(jm_daemon_pid)" ]; then
    jm_warn "a daemon still runs (pid $(jm_daemon_pid)); not sweeping"
    return 1
  fi
  swept=""
  # Job cgroups: "<instance>/job-<id>" under the daemon's cgroup, in every hierarchy. A directory
  # named like the instance counts only when every child is a job cgroup.
  # Paths here never hold spaces (cgroup names, mount points, devices are ours); word splitting is safe.
  # shellcheck disable=SC2044,SC2013
  for parent in $(find /sys/fs/cgroup -maxdepth 8 -type d \( -name "$instance" -o -name "$instance-daemon" \) 2>/dev/null); do
    ours=1
    for child in "$parent"/*/; do
      [ -d "$child" ] || continue
      case "$(basename "$child")" in job-*) ;; *) ours=0 ;; esac
    done
    [ "$ours" = 1 ] || continue
    for job in "$parent"/job-*/; do
      [ -d "$job" ] || continue
      if [ -w "$job/cgroup.kill" ]; then echo 1 >"$job/cgroup.kill" 2>/dev/null || true; fi
      # shellcheck disable=SC2013
      for p in $(cat "$job/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    done
    for job in "$parent"/job-*/; do
      [ -d "$job" ] || continue
      i=0
      while ! rmdir "$job" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    done
    rmdir "$parent" 2>/dev/null && swept="$swept cgroup:$parent"
  done
  # Mounts under the state dir (job workspaces, volumes), deepest first.
  if [ -d "$state" ]; then
    # shellcheck disable=SC2013
    for m in $(awk -v s="$state/" 'index($5, s) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
      swept="$swept mount:$m"
    done
    for img in "$state"/volumes/*/volume.img; do
      [ -f "$img" ] || continue
      for dev in $(losetup --list --noheadings --output NAME --associated "$img" 2>/dev/null); do
        losetup -d "$dev" 2>/dev/null && swept="$swept loop:$dev"
      done
    done
  fi
  for ns in /run/netns/joblet_"${instance}"_*; do
    [ -e "$ns" ] || continue
    ip netns delete "$(basename "$ns")" 2>/dev/null || { umount "$ns" 2>/dev/null; rm -f "$ns"; }
    swept="$swept netns:$(basename "$ns")"
  done
  for link in $(ip -o link show 2>/dev/null | sed -n "s|^[0-9]*: \([^:@ ]*\)[@:].* alias joblet/$instance/.*|\1|p"); do
    ip link delete "$link" 2>/dev/null && swept="$swept link:$link"
  done
  table="joblet_$(printf '%s' "$instance" | tr '-' '_')"
  if nft list table inet "$table" >/dev/null 2>&1; then
    nft delete table inet "$table" && swept="$swept nft:inet/$table"
  fi
  if [ -n "$swept" ]; then jm_say "removed what a daemon left behind:$swept"; fi
  return 0
}

# Refuse to delete anything that looks like a system directory.
jm_safe_to_delete() {
  case "$1" in
    '' | / | /bin | /boot | /dev | /etc | /home | /lib | /lib64 | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /usr/* | /var | /var/lib | /var/log) return 1 ;;
    /*) return 0 ;;
  esac
  return 1
}

# Delete state (jobs, logs, volumes, networks, schedules, runtimes), config (certificates), the
# background daemon's log and the cache. The daemon must be stopped (jm_stop) first.
jm_purge() {
  state="$(jm_state_dir)"
  for d in "$state" "$JM_CONFIG_DIR"; do
    if ! jm_safe_to_delete "$d"; then
      jm_warn "refusing to delete '$d' (a system directory); remove what you need by hand"
      continue
    fi
    if [ -e "$d" ]; then
      rm -rf -- "$d"
      jm_say "deleted $d"
    fi
  done
  # The default config dir sits inside the default state dir; remove the parent once empty.
  rmdir /opt/joblet 2>/dev/null || true
  rm -f -- "$JM_LOGFILE" "$JM_PIDFILE"
  jm_drop_cache
}

# Delete the native-module cache, unless another joblet executable runs on this host (another
# install or instance, a job's init stage): it loads its module from there, and deleting the file
# between its extraction and its loading would fail that daemon's start.
jm_drop_cache() {
  [ -d "$JM_CACHE_DIR" ] || return 0
  for d in /proc/[0-9]*; do
    case "$(readlink "$d/exe" 2>/dev/null)" in
      */joblet | */joblet\ \(deleted\))
        jm_say "kept $JM_CACHE_DIR: other joblet processes on this host use it (pid ${d#/proc/})"
        return 0
        ;;
    esac
  done
  rm -rf -- "$JM_CACHE_DIR"
}
# ---- end library ----

jm_usage() {
  sed -n '2,21s/^# \{0,1\}//p' "$0"
}

jm_main() {
  cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    start)
      if jm_has_systemd; then systemctl start "$JM_UNIT"; else jm_bg_start; fi
      ;;
    stop) jm_stop ;;
    restart)
      if jm_has_systemd; then systemctl restart "$JM_UNIT"; else jm_stop && jm_bg_start; fi
      ;;
    status)
      pid="$(jm_daemon_pid)"
      if [ -n "$pid" ]; then
        echo "joblet daemon running (pid $pid)"
      else
        echo "joblet daemon not running"
        return 3
      fi
      ;;
    configure)
      address="${JOBLET_ADDRESS:-0.0.0.0:50051}" instance="${JOBLET_INSTANCE:-joblet}" state="${JOBLET_STATE_DIR:-$JM_DEFAULT_STATE_DIR}" extra="${JOBLET_HOSTS:-}"
      while [ $# -gt 0 ]; do
        case "$1" in
          --address) address="$2"; shift ;;
          --instance) instance="$2"; shift ;;
          --state-dir) state="$2"; shift ;;
          --host) extra="$extra $2"; shift ;;
          *) jm_warn "unknown option '$1'"; return 2 ;;
        esac
        shift
      done
      jm_configure "$address" "$instance" "$state" "$extra"
      ;;
    sweep) jm_sweep ;;
    purge) jm_stop && jm_purge ;;
    client-help) jm_client_help ;;
    -h | --help | help) jm_usage ;;
    *)
      jm_usage >&2
      return 2
      ;;
  esac
}

if [ "${JOBLET_MAINT_LIBRARY:-}" != 1 ]; then
  set -eu
  if [ "$(id -u)" != 0 ]; then
    echo "joblet-maint: must be run as root" >&2
    exit 1
  fi
  jm_main "$@"
fi
