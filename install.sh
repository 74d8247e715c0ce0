#!/usr/bin/env bash
# Install joblet on this host from this checkout or an unpacked release tarball: system packages,
# build, binary + rnx link, certificates and configs (`joblet init` with this host's names and
# addresses), and a running daemon (a systemd unit when systemd is PID 1, otherwise a background
# `joblet serve` tracked by a pid file). Safe to run again: it rebuilds only when the sources
# changed, keeps existing configs and restarts the daemon it runs.
#
# Configuring, starting and stopping the daemon, sweeping what a killed one left and purging are
# the packages' own code: packaging/joblet-maint.sh (joblet-maint in the tarball), sourced here as
# a library, as the .deb and .rpm maintainer scripts inline it. This file adds what only a
# package manager would otherwise do: building, copying the files, the unit, the summary.
#
#   sudo ./install.sh [--no-start] [--prefix DIR] [--config-dir DIR] [--state-dir DIR]
#                     [--address HOST:PORT] [--host NAME]... [--instance NAME]
#   sudo ./install.sh --uninstall [--purge]
# No pipefail: the shared library is POSIX sh, written for sh's pipeline status (`tail | grep -q`).
set -eu

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX=/usr/local
CONFIG_DIR=/opt/joblet/config
STATE_DIR=/opt/joblet
ADDRESS=0.0.0.0:50051
HOSTS=()
INSTANCE=joblet
START=1
UNINSTALL=0
PURGE=0
# Where the daemon lives when systemd is not PID 1 (the packages' joblet-maint uses the same).
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

usage() {
  cat <<EOF
Usage: sudo $0 [options]
Install joblet from this checkout and start the daemon.

  --no-start            install and configure, but do not (re)start the daemon
  --prefix DIR          install DIR/bin/joblet and DIR/bin/rnx (default $PREFIX)
  --config-dir DIR      where joblet init writes the configs (default $CONFIG_DIR)
  --state-dir DIR       job state and logs (default $STATE_DIR)
  --address HOST:PORT   address the daemon listens on (default $ADDRESS)
  --host NAME           extra DNS name or IP for the server certificate (repeatable; this
                        host's name and addresses are always in it)
  --instance NAME       daemon instance name: its cgroups, bridges and nft table (default $INSTANCE)
  --uninstall           stop the daemon of this install, remove what it left behind, the
                        binary, link and unit
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
    --prefix | --config-dir | --state-dir | --address | --host | --instance)
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
        --instance) INSTANCE="$val" ;;
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

[ -f "$MAINT" ] || die "$MAINT is missing: this is neither a source checkout nor a complete release tarball"
# The shared library, for this install's paths (its config names the instance and the state dir;
# JOBLET_STATE_DIR is the fallback when the config is gone).
# Shell variables, not exported: the daemon and joblet init need none of them.
JOBLET_BIN="$BIN" JOBLET_CONFIG_DIR="$CONFIG_DIR" JOBLET_STATE_DIR="$STATE_DIR" JOBLET_PIDFILE="$PIDFILE" JOBLET_LOGFILE="$LOGFILE"
# shellcheck source=packaging/joblet-maint.sh
JOBLET_MAINT_LIBRARY=1 . "$MAINT"

uninstall() {
  local state
  state="$(jm_state_dir)"
  # Check before removing anything, so a refused purge leaves the install as it was.
  if [ "$PURGE" = 1 ]; then
    for d in "$CONFIG_DIR" "$state"; do
      jm_safe_to_delete "$d" || die "refusing to delete '$d' (a system directory); remove what you need by hand"
    done
  fi
  if [ -f "$UNIT" ]; then
    if jm_has_systemd; then
      say "stopping and disabling joblet.service"
      systemctl disable --now joblet.service || warn "systemctl disable --now joblet.service failed"
    fi
    rm -f "$UNIT"
    if jm_has_systemd; then systemctl daemon-reload; fi
  fi
  # The daemon of this install however it was started (pid file, by hand), then what a killed one
  # left behind (job cgroups, mounts, loop devices, bridges, the nft table): as the packages' remove.
  jm_stop || warn "could not remove everything a daemon left behind (see above)"
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
    jm_purge
    say "purged $CONFIG_DIR, $state and $LOGFILE"
  else
    jm_drop_cache
    say "kept $CONFIG_DIR and $state (configs, certificates, job state); --purge deletes them"
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

# joblet init with this host's names and addresses, unless both configs exist (a new CA would lock
# out every client config already handed out): the packages' first configuration.
ensure_config() {
  local hosts=""
  if [ ${#HOSTS[@]} -gt 0 ]; then hosts="${HOSTS[*]}"; fi
  jm_configure "$ADDRESS" "$INSTANCE" "$STATE_DIR" "$hosts" || die "could not configure joblet (see above)"
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

# Without systemd: the packages' background daemon (pid file, log), restarted on the new binary.
start_background() {
  local pid
  pid="$(jm_daemon_pid)"
  if [ -n "$pid" ]; then
    say "restarting the daemon (pid $pid) on this install's binary and config"
    jm_stop || die "could not stop the running daemon (see above)"
  fi
  jm_bg_start || die "the daemon did not start (see above; its log is $LOGFILE)"
}

# Poll with the real client until the daemon answers, or show why it does not.
wait_ready() {
  local deadline
  deadline=$(($(date +%s) + READY_TIMEOUT))
  while [ "$(date +%s)" -le "$deadline" ]; do
    if "$RNX" --config "$CLIENT_CONFIG" list >/dev/null 2>&1; then
      say "daemon is answering on $(jm_config_value address)"
      return 0
    fi
    sleep 0.2
  done
  printf 'install.sh: the daemon did not answer within %s s. Last lines of its log:\n' "$READY_TIMEOUT" >&2
  if jm_has_systemd; then
    journalctl -u joblet.service -n 30 --no-pager >&2 || true
  else
    tail -n 30 "$LOGFILE" >&2 || true
  fi
  "$RNX" --config "$CLIENT_CONFIG" list >&2 || true
  printf 'install.sh: stop it with: %s --uninstall\n' "$0" >&2
  exit 1
}

summary() {
  local how
  echo
  echo "joblet $("$BIN" --version 2>/dev/null | awk '{print $2}') is installed."
  echo "  binary   $BIN   (client: $RNX -> joblet)"
  echo "  configs  $SERVER_CONFIG"
  echo "           $CLIENT_CONFIG   (admin client; holds private keys)"
  echo "  state    $(jm_state_dir)"
  if [ "$START" = 0 ]; then
    how="not started (--no-start): $BIN serve --config $SERVER_CONFIG"
  elif jm_has_systemd; then
    how="systemd unit joblet.service (systemctl status joblet; journalctl -u joblet)"
  else
    how="pid $(jm_daemon_pid) (in $PIDFILE), log $LOGFILE"
  fi
  echo "  daemon   $how"
  case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "  note     $PREFIX/bin is not in PATH" ;; esac
  echo
  # Where the client config is, and how to use it here and from a laptop (as the packages say).
  jm_client_help | sed 's/^joblet: the /The /'
  echo "  More:                    rnx run --wait sh -c 'id; hostname; ls /'; rnx list"
  echo "Other users need their own copy of the client config (it is root's, mode 0600):"
  echo "  install -d -m 700 -o USER ~USER/.rnx && install -m 600 -o USER $CLIENT_CONFIG ~USER/.rnx/"
  # Uninstalling needs the same paths as this install.
  local opts=""
  [ "$PREFIX" = /usr/local ] || opts+=" --prefix $PREFIX"
  [ "$CONFIG_DIR" = /opt/joblet/config ] || opts+=" --config-dir $CONFIG_DIR"
  [ "$(jm_state_dir)" = /opt/joblet ] || opts+=" --state-dir $(jm_state_dir)"
  echo "Remove: $REPO/install.sh --uninstall$opts [--purge]"
}

if [ "$UNINSTALL" = 1 ]; then
  uninstall
  exit 0
fi

BINARY_CHANGED=0
ensure_packages
ensure_build
install_binary
ensure_config
link_client_config
if [ "$START" = 1 ]; then
  if jm_has_systemd; then
    start_systemd
  else
    start_background
  fi
  wait_ready
fi
summary
