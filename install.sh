#!/usr/bin/env bash
# Install joblet on this host from this checkout: system packages, build, binary + rnx link,
# certificates and configs (`joblet init`), and a running daemon (a systemd unit when systemd is
# PID 1, otherwise a background `joblet serve` tracked by a pid file). Safe to run again: it
# rebuilds only when the sources changed, keeps existing configs and restarts the daemon it runs.
#
#   sudo ./install.sh [--no-start] [--prefix DIR] [--config-dir DIR] [--state-dir DIR]
#                     [--address HOST:PORT] [--host NAME]...
#   sudo ./install.sh --uninstall [--purge]
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX=/usr/local
CONFIG_DIR=/opt/joblet/config
STATE_DIR=/opt/joblet
ADDRESS=0.0.0.0:50051
HOSTS=()
START=1
UNINSTALL=0
PURGE=0
# Where the daemon lives when systemd is not PID 1. Only a process named in this pid file is
# ever stopped by this script.
PIDFILE=/run/joblet.pid
LOGFILE=/var/log/joblet.log
# Two layouts: a source checkout (build dist/joblet, packaging/, scripts/), or an unpacked release
# tarball (joblet, joblet.service and install-deps.sh side by side, nothing to build).
if [ -f "$REPO/package.json" ] && [ -d "$REPO/src" ]; then
  FROM_TARBALL=0
  EXE_SRC="$REPO/dist/joblet"
  UNIT_SRC="$REPO/packaging/joblet.service"
  DEPS_SCRIPT="$REPO/scripts/install-deps.sh"
  MAINT="$REPO/packaging/joblet-maint.sh"
else
  FROM_TARBALL=1
  EXE_SRC="$REPO/joblet"
  UNIT_SRC="$REPO/joblet.service"
  DEPS_SCRIPT="$REPO/install-deps.sh"
  MAINT="$REPO/joblet-maint"
fi
UNIT=/etc/systemd/system/joblet.service
# Second place rnx searches (after $RNX_CONFIG, ./, ~/.rnx/); linked here for a non-default --config-dir.
ETC_CLIENT_CONFIG=/etc/joblet/rnx-config.yml
READY_TIMEOUT=20
# command:Debian package, for what the daemon runs as child processes: `ip` (iproute2) sets up
# job network namespaces (DESIGN §5). Namespaces, mounts and cgroups need no tool (syscalls).

usage() {
  cat <<EOF
Usage: sudo $0 [options]
Install joblet from this checkout and start the daemon.

  --no-start            install and configure, but do not (re)start the daemon
  --prefix DIR          install DIR/bin/joblet and DIR/bin/rnx (default $PREFIX)
  --config-dir DIR      where joblet init writes the configs (default $CONFIG_DIR)
  --state-dir DIR       job state and logs (default $STATE_DIR)
  --address HOST:PORT   address the daemon listens on (default $ADDRESS)
  --host NAME           extra DNS name or IP for the server certificate (repeatable)
  --uninstall           stop the daemon this script started, remove binary, link and unit
  --purge               with --uninstall: also delete the config and state directories and the log
  -h, --help            this text
EOF
}

say() { printf '==> %s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

ARGS="$*"
# Accept both "--opt VALUE" and "--opt=VALUE".
while [ $# -gt 0 ]; do
  opt="$1"
  val=""
  case "$opt" in
    --*=*) val="${opt#*=}"; opt="${opt%%=*}" ;;
  esac
  case "$opt" in
    --prefix | --config-dir | --state-dir | --address | --host)
      if [ -z "$val" ]; then
        if [ $# -lt 2 ] || [ -z "$2" ]; then die "$opt needs a value (see --help)"; fi
        val="$2"
        shift
      fi
      case "$opt" in
        --prefix) PREFIX="$val" ;;
        --config-dir) CONFIG_DIR="$val" ;;
        --state-dir) STATE_DIR="$val" ;;
        --address) ADDRESS="$val" ;;
        --host) HOSTS+=("$val") ;;
      esac
      ;;
    --no-start) START=0 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
  shift
done

[ "$PURGE" = 0 ] || [ "$UNINSTALL" = 1 ] || die "--purge only goes with --uninstall"
for d in "$PREFIX" "$CONFIG_DIR" "$STATE_DIR"; do
  case "$d" in /*) ;; *) die "paths must be absolute (got '$d')" ;; esac
done
# Strip trailing slashes so the comparisons and the rm -rf guard below see canonical paths.
PREFIX="${PREFIX%/}"; CONFIG_DIR="${CONFIG_DIR%/}"; STATE_DIR="${STATE_DIR%/}"
[ "$(id -u)" = 0 ] || die "must be run as root (the daemon creates namespaces, mounts and cgroups): sudo $0${ARGS:+ $ARGS}"

BIN="$PREFIX/bin/joblet"
RNX="$PREFIX/bin/rnx"
SERVER_CONFIG="$CONFIG_DIR/joblet-config.yml"
CLIENT_CONFIG="$CONFIG_DIR/rnx-config.yml"

# systemd's own test (sd_booted): this directory exists only when systemd is PID 1.
has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# True when PID runs `<something>/joblet serve ...`; a zombie or a recycled pid does not count.
is_joblet_daemon() {
  local pid="$1" cmdline
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  case "$cmdline" in */joblet\ serve\ * | joblet\ serve\ *) return 0 ;; *) return 1 ;; esac
}

# The cgroup directories (one per hierarchy) a process is in, resolved through this mount table.
cgroup_dirs_of() {
  local pid="$1" ctrls cgpath mnt
  while IFS=: read -r _ ctrls cgpath; do
    mnt="$(awk -v want="$ctrls" '
      { for (i = 1; i <= NF; i++) if ($i == "-") break
        fstype = $(i + 1); opts = "," $(i + 3) ","
        if (want == "" && fstype == "cgroup2") { print $5; exit }
        if (want != "" && fstype == "cgroup") {
          n = split(want, c, ","); ok = 1
          for (j = 1; j <= n; j++) if (index(opts, "," c[j] ",") == 0) ok = 0
          if (ok) { print $5; exit }
        } }' /proc/self/mountinfo)"
    [ -n "$mnt" ] && printf '%s%s\n' "$mnt" "${cgpath%/}"
  done <"/proc/$pid/cgroup"
}

# The instance name in a server config (names the daemon's cgroups); "joblet" when unset.
config_instance() {
  local v=""
  [ -r "$SERVER_CONFIG" ] && v="$(sed -n 's/^[[:space:]]*instance:[[:space:]]*"\{0,1\}\([A-Za-z0-9_.-]*\)"\{0,1\}.*$/\1/p' "$SERVER_CONFIG" | head -n 1)"
  printf '%s\n' "${v:-joblet}"
}

# Stop the daemon named in $PIDFILE (started by an earlier run of this script), and nothing else.
stop_pidfile_daemon() {
  [ -f "$PIDFILE" ] || return 0
  local pid instance dirs i
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  if [ -z "$pid" ] || ! is_joblet_daemon "$pid"; then
    say "removing stale $PIDFILE (no joblet daemon with pid ${pid:-?})"
    rm -f "$PIDFILE"
    return 0
  fi
  instance="$(config_instance)"
  # Read before it exits: its job cgroups sit under its own cgroup in every hierarchy.
  dirs="$(cgroup_dirs_of "$pid" || true)"
  say "stopping joblet daemon (pid $pid); running jobs are stopped first"
  kill -TERM "$pid" 2>/dev/null || true
  # The daemon gives jobs their stop grace, then kills them; allow the same 30 s as the unit.
  for ((i = 0; i < 300; i++)); do
    is_joblet_daemon "$pid" || break
    sleep 0.1
  done
  if is_joblet_daemon "$pid"; then
    warn "daemon $pid did not stop within 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do is_joblet_daemon "$pid" || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  remove_instance_cgroups "$instance" "$dirs"
}

# The daemon leaves `<its cgroup>/<instance>` behind in every hierarchy: remove those that are
# EMPTY (rmdir refuses any cgroup that still holds a process). $2: the daemon's cgroup dirs.
remove_instance_cgroups() {
  local instance="$1" d sub
  while IFS= read -r d; do
    [ -n "$d" ] || continue
    # On cgroup v2 the daemon moves itself into the leaf <own>/<instance>-daemon.
    [ "$(basename "$d")" = "$instance-daemon" ] && d="$(dirname "$d")"
    for sub in "$d/$instance" "$d/$instance-daemon"; do
      if [ -d "$sub" ]; then find "$sub" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
    done
  done <<<"$2"
}

# Refuse to rm -rf anything that looks like a system directory.
safe_to_purge() {
  case "$1" in
    / | /bin | /boot | /dev | /etc | /home | /lib | /lib64 | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /usr/* | /var | /var/lib) return 1 ;;
  esac
  return 0
}

uninstall() {
  # Check before removing anything, so a refused purge leaves the install as it was.
  if [ "$PURGE" = 1 ]; then
    for d in "$CONFIG_DIR" "$STATE_DIR"; do
      safe_to_purge "$d" || die "refusing to delete '$d' (a system directory); remove what you need by hand"
    done
  fi
  if [ -f "$UNIT" ]; then
    if has_systemd; then
      say "stopping and disabling joblet.service"
      systemctl disable --now joblet.service || warn "systemctl disable --now joblet.service failed"
    fi
    rm -f "$UNIT"
    has_systemd && systemctl daemon-reload
  fi
  stop_pidfile_daemon
  # What a killed daemon of this install left behind (job cgroups, mounts, loop devices, bridges,
  # the nft table), removed as the packages' remove does: the same shared code, for this
  # install's config (its instance and state dir).
  if [ -r "$SERVER_CONFIG" ] && [ -f "$MAINT" ]; then
    JOBLET_CONFIG_DIR="$CONFIG_DIR" JOBLET_PIDFILE="$PIDFILE" JOBLET_LOGFILE="$LOGFILE" JOBLET_BIN="$BIN" sh "$MAINT" sweep ||
      warn "could not remove everything a daemon left behind (see above)"
  fi
  # rnx goes only if it is our link (to "joblet" or to $BIN), never someone else's program.
  if [ -L "$RNX" ] && { [ "$(readlink "$RNX")" = joblet ] || [ "$(readlink "$RNX")" = "$BIN" ]; }; then
    rm -f "$RNX"
  elif [ -e "$RNX" ] || [ -L "$RNX" ]; then
    warn "$RNX is not a link to $BIN; left alone"
  fi
  rm -f "$BIN"
  if [ -L "$ETC_CLIENT_CONFIG" ] && [ "$(readlink "$ETC_CLIENT_CONFIG")" = "$CLIENT_CONFIG" ]; then
    rm -f "$ETC_CLIENT_CONFIG"
    rmdir /etc/joblet 2>/dev/null || true
  fi
  say "removed $BIN and $RNX (and $UNIT, if it was installed)"
  if [ "$PURGE" = 1 ]; then
    rm -rf -- "$CONFIG_DIR" "$STATE_DIR"
    rm -f -- "$LOGFILE"
    say "purged $CONFIG_DIR, $STATE_DIR and $LOGFILE"
  else
    say "kept $CONFIG_DIR and $STATE_DIR (configs, certificates, job state); --purge deletes them"
  fi
}

# Install the Debian packages that provide the commands the daemon runs, only those missing
# (one list for install.sh and the tests: scripts/install-deps.sh).
ensure_packages() {
  command -v apt-get >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v nft >/dev/null 2>&1 || die "no apt-get: install iproute2, nftables, e2fsprogs and mount with your package manager"
  bash "$DEPS_SCRIPT"
}

# Build dist/joblet unless it is newer than every input of the build.
ensure_build() {
  local exe="$EXE_SRC" newer=""
  if [ "$FROM_TARBALL" = 1 ]; then
    [ -x "$exe" ] || die "$exe is missing: this is neither a source checkout nor a complete release tarball"
    say "installing the release executable from $REPO"
    return 0
  fi
  if [ -x "$exe" ]; then
    newer="$(cd "$REPO" && { find src proto build.mjs package.json package-lock.json -newer "$exe" -type f -print -quit 2>/dev/null || true; })"
    if [ -z "$newer" ]; then
      say "dist/joblet is up to date"
      return 0
    fi
    say "rebuilding: $newer changed since the last build"
  else
    say "building dist/joblet"
  fi
  command -v npm >/dev/null 2>&1 || die "npm is needed to build (Node.js >= 20); install it, or build elsewhere and copy dist/ here"
  if [ ! -d "$REPO/node_modules" ]; then
    (cd "$REPO" && npm ci --no-audit --no-fund)
  fi
  (cd "$REPO" && npm run --silent build)
  [ -x "$exe" ] || die "the build did not produce $exe"
}

# Copy the binary under a temporary name and rename it into place: a running daemon keeps its
# old inode, and nobody ever executes a half-written file. Prints "changed" when it was replaced.
install_binary() {
  local exe="$EXE_SRC" tmp
  mkdir -p "$PREFIX/bin"
  if [ -f "$BIN" ] && cmp -s "$exe" "$BIN"; then
    say "$BIN is already this build"
  else
    tmp="$PREFIX/bin/.joblet.tmp.$$"
    install -m 0755 "$exe" "$tmp"
    mv -f "$tmp" "$BIN"
    say "installed $BIN"
    BINARY_CHANGED=1
  fi
  # The name picks the personality: called as rnx it is the client.
  if [ "$(readlink "$RNX" 2>/dev/null)" != joblet ]; then
    ln -sfn joblet "$RNX.tmp.$$"
    mv -Tf "$RNX.tmp.$$" "$RNX"
    say "linked $RNX -> joblet"
  fi
}

# joblet init, unless both configs exist (a new CA would lock out every existing client config).
ensure_config() {
  local have_server=0 have_client=0 args
  [ -e "$SERVER_CONFIG" ] && have_server=1
  [ -e "$CLIENT_CONFIG" ] && have_client=1
  if [ "$have_server" = 1 ] && [ "$have_client" = 1 ]; then
    say "keeping existing $SERVER_CONFIG and $CLIENT_CONFIG (their address and state dir apply; to regenerate: $BIN init --force --dir $CONFIG_DIR ...)"
    return 0
  fi
  if [ "$have_server" = 1 ] || [ "$have_client" = 1 ]; then
    die "only one of $SERVER_CONFIG and $CLIENT_CONFIG exists; both come from one CA. Move it away to start fresh, or restore the other one"
  fi
  args=(init --dir "$CONFIG_DIR" --address "$ADDRESS" --state-dir "$STATE_DIR")
  for h in "${HOSTS[@]+"${HOSTS[@]}"}"; do args+=(--host "$h"); done
  say "creating certificates and configs in $CONFIG_DIR"
  "$BIN" "${args[@]}" >/dev/null
}

# rnx finds /opt/joblet/config/rnx-config.yml by itself; for another --config-dir, link it from
# /etc/joblet, the search path entry meant for host-wide configs (never over someone's file).
link_client_config() {
  [ "$CLIENT_CONFIG" = /opt/joblet/config/rnx-config.yml ] && return 0
  if [ -e "$ETC_CLIENT_CONFIG" ] || [ -L "$ETC_CLIENT_CONFIG" ]; then
    [ "$(readlink "$ETC_CLIENT_CONFIG" 2>/dev/null)" = "$CLIENT_CONFIG" ] ||
      warn "$ETC_CLIENT_CONFIG exists and is not ours; rnx will use it unless given --config $CLIENT_CONFIG"
    return 0
  fi
  mkdir -p /etc/joblet
  ln -s "$CLIENT_CONFIG" "$ETC_CLIENT_CONFIG"
  say "linked $ETC_CLIENT_CONFIG -> $CLIENT_CONFIG"
}

start_systemd() {
  local unit_changed=0 tmp
  tmp="$(mktemp "$UNIT.XXXXXX")"
  # The unit names the default paths; point it at this install's binary and config.
  sed -e "s|^ExecStart=.*|ExecStart=$BIN serve --config $SERVER_CONFIG|" "$UNIT_SRC" >"$tmp"
  chmod 0644 "$tmp"
  if [ -f "$UNIT" ] && cmp -s "$tmp" "$UNIT"; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$UNIT"
    unit_changed=1
    say "installed $UNIT"
  fi
  systemctl daemon-reload
  if systemctl is-active --quiet joblet.service && { [ "$unit_changed" = 1 ] || [ "${BINARY_CHANGED:-0}" = 1 ]; }; then
    say "restarting joblet.service (new binary or unit)"
    systemctl enable joblet.service
    systemctl restart joblet.service
  else
    say "enabling and starting joblet.service"
    systemctl enable --now joblet.service
  fi
}

start_background() {
  stop_pidfile_daemon
  touch "$LOGFILE"
  chmod 0600 "$LOGFILE"
  printf '\n--- %s install.sh starting %s\n' "$(date -u +%FT%TZ)" "$BIN" >>"$LOGFILE"
  # setsid: its own session, so the daemon outlives this shell and its terminal; nohup: no SIGHUP.
  setsid nohup "$BIN" serve --config "$SERVER_CONFIG" </dev/null >>"$LOGFILE" 2>&1 &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  DAEMON_PID="$pid"
  say "started joblet serve (pid $pid, log $LOGFILE)"
}

# Poll with the real client until the daemon answers, or show why it does not.
wait_ready() {
  local i
  for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
    if "$RNX" --config "$CLIENT_CONFIG" list >/dev/null 2>&1; then
      say "daemon is answering on $(sed -n 's/^[[:space:]]*address:[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$CLIENT_CONFIG" | head -n 1)"
      return 0
    fi
    if [ -n "${DAEMON_PID:-}" ] && ! is_joblet_daemon "$DAEMON_PID"; then
      rm -f "$PIDFILE"
      # It was our child, so it started in our cgroups.
      remove_instance_cgroups "$(config_instance)" "$(cgroup_dirs_of $$ || true)"
      printf 'install.sh: the daemon exited during start-up. Last lines of its log:\n' >&2
      tail -n 30 "$LOGFILE" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  printf 'install.sh: the daemon did not answer within %s s. Last lines of its log:\n' "$READY_TIMEOUT" >&2
  if [ -n "${DAEMON_PID:-}" ]; then
    tail -n 30 "$LOGFILE" >&2 || true
  else
    journalctl -u joblet.service -n 30 --no-pager >&2 || true
  fi
  "$RNX" --config "$CLIENT_CONFIG" list >&2 || true
  [ -n "${DAEMON_PID:-}" ] && printf 'install.sh: it is still running (pid %s); stop it with: %s --uninstall\n' "$DAEMON_PID" "$0" >&2
  exit 1
}

summary() {
  local how
  echo
  echo "joblet $("$BIN" --version 2>/dev/null | awk '{print $2}') is installed."
  echo "  binary   $BIN   (client: $RNX -> joblet)"
  echo "  configs  $SERVER_CONFIG"
  echo "           $CLIENT_CONFIG   (admin client; holds private keys)"
  echo "  state    $STATE_DIR"
  if [ "$START" = 0 ]; then
    how="not started (--no-start): $BIN serve --config $SERVER_CONFIG"
  elif has_systemd; then
    how="systemd unit joblet.service (systemctl status joblet; journalctl -u joblet)"
  else
    how="pid $DAEMON_PID (in $PIDFILE), log $LOGFILE"
  fi
  echo "  daemon   $how"
  case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "  note     $PREFIX/bin is not in PATH" ;; esac
  echo
  echo "Try:"
  echo "  rnx run --wait echo hello"
  echo "  rnx run --wait sh -c 'id; hostname; ls /'"
  echo "  rnx list"
  echo "Other users need their own copy of the client config (it is root's, mode 0600):"
  echo "  install -d -m 700 -o USER ~USER/.rnx && install -m 600 -o USER $CLIENT_CONFIG ~USER/.rnx/"
  # Uninstalling needs the same paths as this install.
  local opts=""
  [ "$PREFIX" = /usr/local ] || opts+=" --prefix $PREFIX"
  [ "$CONFIG_DIR" = /opt/joblet/config ] || opts+=" --config-dir $CONFIG_DIR"
  [ "$STATE_DIR" = /opt/joblet ] || opts+=" --state-dir $STATE_DIR"
  echo "Remove: $REPO/install.sh --uninstall$opts [--purge]"
}

if [ "$UNINSTALL" = 1 ]; then
  uninstall
  exit 0
fi

BINARY_CHANGED=0
DAEMON_PID=""
ensure_packages
ensure_build
install_binary
ensure_config
link_client_config
if [ "$START" = 1 ]; then
  if has_systemd; then
    start_systemd
  else
    start_background
  fi
  wait_ready
fi
summary
