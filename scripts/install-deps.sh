#!/usr/bin/env bash
# System packages joblet needs on a Debian/Ubuntu host, installed with apt when missing.
#   scripts/install-deps.sh           what the daemon needs
#   scripts/install-deps.sh --test    also what the test suite runs inside jobs and the package tests use
#   scripts/install-deps.sh --package what `npm run package` needs to build the .deb and .rpm
# Each entry is COMMAND:PACKAGE; a command already on the PATH (or in /usr/sbin) is not reinstalled.
set -euo pipefail

DAEMON=(
  ip:iproute2          # network namespaces, bridges, veth pairs
  nft:nftables         # the daemon's own firewall table for job networks
  mkfs.ext4:e2fsprogs  # filesystem volumes
  losetup:mount        # loop devices for filesystem volumes
  mmdebstrap:mmdebstrap  # runtime builds (root filesystems from the distribution's archive)
)
TEST=(
  ps:procps            # process probes inside jobs
  perl:perl-base       # syscall probes of the security suite
  /usr/bin/python3:python3-minimal  # tiny servers and clients in network tests
  /usr/bin/chromium:chromium        # the web console's browser tests (driven by playwright-core)
  /usr/bin/qemu-aarch64-static:qemu-user-static   # runs the linux-arm64 rnx client in tests/integration/clients
  /usr/aarch64-linux-gnu/lib/libstdc++.so.6:libstdc++6-arm64-cross   # ... with arm64 libc/libstdc++ (qemu -L)
  /usr/aarch64-linux-gnu/lib/libatomic.so.1:libatomic1-arm64-cross    # ... and libatomic (the clients' Node 26 links it)
  /usr/lib/x86_64-linux-gnu/libatomic.so.1:libatomic1                 # the linux-x64 client, run natively in that test
)
PACKAGE=(
  dpkg-shlibdeps:dpkg-dev   # the .deb's shared-library Depends
  rpmbuild:rpm              # the .rpm (and rpm -qp in its test)
)
PACKAGE_TEST=(
  debconf-set-selections:debconf  # preseeding the .deb's questions in the package test
  shellcheck:shellcheck           # the .rpm's scriptlets are linted in its test
  lintian:lintian                 # the .deb is checked with lintian in its test
)

want=("${DAEMON[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${TEST[@]}" "${PACKAGE[@]}" "${PACKAGE_TEST[@]}"); fi
if [ "${1:-}" = "--package" ]; then want+=("${PACKAGE[@]}"); fi

missing=()
for pair in "${want[@]}"; do
  cmd="${pair%%:*}"
  pkg="${pair#*:}"
  if [[ "$cmd" == /* ]]; then
    [ -e "$cmd" ] && continue   # a program or a library file
  else
    PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 && continue
  fi
  missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} — run as root (or: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
