/**
 * The shell scripts a build runs inside its sandbox (build-sandbox.ts). Each step starts as the
 * build's unprivileged host uid, `unshare --user --mount` gives it a user namespace of its own,
 * the daemon maps that namespace's ids 0…65535 onto `runtimes.buildIdBase`… (userns.ts), and the
 * script becomes root *of that namespace* (setpriv). That root owns nothing on the host but the
 * runtime directory being built (which the daemon gave to buildIdBase) and the apt cache.
 *
 *   resolve.sh    apt-get update + a simulated install: which packages, which versions; a package
 *                 the archive lacks is named here, before anything is downloaded
 *   install.sh    mmdebstrap --mode=root into /work/rootfs: packages come from the shared cache or
 *                 the archive (apt checks their signatures on download); maintainer scripts run
 *                 chrooted into the new root
 *   derive.sh     instead of install.sh for a user runtime whose base runtime is installed: the
 *                 daemon copied the base's root into /work/rootfs, apt inside it adds the packages
 *   customize.sh  user runtimes only: hooks, pip and npm, chrooted into the new root, in a sandbox
 *                 that has NO apt cache (nothing a hook does can poison what other builds install:
 *                 apt does not re-check the hashes of cached packages)
 *
 * Every word that comes from a plan is single-quoted (shq); package names are also restricted to
 * plain characters by yaml.ts before they get here.
 */
import type { BuildPlan } from './recipes';

/** Paths inside the build sandbox. */
export const IN_BUILD = {
  work: '/work',
  rootfs: '/work/rootfs',
  apt: '/work/apt',
  keyrings: '/work/keyrings',
  sources: '/work/sources.list',
  hooks: '/work/hooks',
  cache: '/volumes/apt-cache',
} as const;

/** Exit code of resolve.sh when apt cannot satisfy the package list. */
export const EXIT_UNRESOLVED = 42;

/** A word for sh, single-quoted. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Becomes root of the build's user namespace once the daemon has written its id maps. */
const BECOME_ROOT = `if [ "$(id -u)" != 0 ]; then
  n=0
  # The daemon writes /proc/<pid>/uid_map from outside (userns.ts); until then it is empty.
  until grep -q . /proc/self/uid_map 2>/dev/null; do
    n=$((n + 1)); if [ $n -gt 1200 ]; then echo "joblet: the build's user namespace was never mapped" >&2; exit 90; fi
    sleep 0.05
  done
  exec setpriv --reuid=0 --regid=0 --clear-groups -- /bin/sh "$0" "$@"
fi
set -eu
umask 022
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive TMPDIR=/tmp
`;

/** apt configuration of resolve.sh: state under /work/apt, the build's sources and keyrings only. */
export function aptConf(arch: string, aptOptions: string[]): string {
  return [
    `APT::Architecture "${arch}";`,
    `APT::Architectures "${arch}";`,
    `Dir "${IN_BUILD.apt}/";`,
    `Dir::State::status "${IN_BUILD.apt}/status";`,
    `Dir::Etc::SourceList "${IN_BUILD.sources}";`,
    `Dir::Etc::SourceParts "${IN_BUILD.apt}/empty/";`,
    `Dir::Etc::TrustedParts "${IN_BUILD.keyrings}/";`,
    `Dir::Etc::Trusted "${IN_BUILD.apt}/empty/trusted.gpg";`,
    'APT::Sandbox::User "root";',
    'Acquire::Languages "none";',
    'APT::Install-Recommends "false";',
    ...aptOptions,
    '',
  ].join('\n');
}

/**
 * resolve.sh: refresh the package lists, then simulate installing the essential set, apt and the
 * plan's packages (with `derived`, only the packages: apt's status is then the base runtime's).
 */
export function resolveScript(plan: BuildPlan, derived = false): string {
  const pkgs = [...(derived ? [] : ["'?essential'", 'apt']), ...plan.packages.map(shq)].join(' ');
  return `#!/bin/sh
${BECOME_ROOT}
export APT_CONFIG=${IN_BUILD.apt}/apt.conf
echo "joblet: refreshing the package lists"
apt-get update -q -o APT::Update::Error-Mode=any
echo "joblet: resolving ${plan.packages.length} package(s) against the archive"
if ! apt-get install --simulate -q ${pkgs} > ${IN_BUILD.apt}/simulate.txt 2>&1; then
  cat ${IN_BUILD.apt}/simulate.txt
  exit ${EXIT_UNRESOLVED}
fi
# Nothing to install is no failure (a derived build that only adds hooks).
grep '^Inst ' ${IN_BUILD.apt}/simulate.txt || true
`;
}

/** Options of install.sh that do not come from the plan. */
export interface InstallOptions {
  suite: string;
  aptOptions: string[];
  /** Seconds to wait for another daemon's build holding the shared cache. */
  cacheLockSeconds: number;
}

/** dpkg filters: documentation and translations are left out of runtimes (copyright files stay). */
const DPKG_OPTIONS = [
  'force-unsafe-io',
  'path-exclude=/usr/share/man/*',
  // The section directories stay: update-alternatives links man pages into them (openjdk does).
  'path-include=/usr/share/man/man[1-9]',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-include=/usr/share/locale/locale.alias',
  'path-exclude=/usr/share/lintian/*',
];

/** install.sh: mmdebstrap into /work/rootfs with the shared apt cache bound in while apt runs. */
export function installScript(plan: BuildPlan, o: InstallOptions): string {
  const args = [
    '--mode=root',
    '--variant=apt',
    '--format=directory',
    '--verbose',
    `--keyring=${IN_BUILD.keyrings}`,
    '--aptopt=APT::Sandbox::User "root"',
    '--aptopt=Acquire::Languages "none"',
    ...o.aptOptions.map((a) => `--aptopt=${a}`),
    ...DPKG_OPTIONS.map((d) => `--dpkgopt=${d}`),
    // The cache is shared: mmdebstrap must neither delete the essential packages from it nor clean it.
    '--skip=essential/unlink,cleanup/apt/cache,check/qemu',
    `--include=${plan.packages.join(',')}`,
    `--setup-hook=mkdir -p "$1/var/cache/apt/archives" "$1/var/lib/apt/lists" && mount --bind ${IN_BUILD.cache} "$1/var/cache/apt/archives" && cp -a ${IN_BUILD.apt}/var/lib/apt/lists/. "$1/var/lib/apt/lists/"`,
    `--customize-hook=umount "$1/var/cache/apt/archives"`,
    // Secrets and host identity have no place in a runtime (jobs get a synthesized /etc on top).
    '--customize-hook=cd "$1/etc" && rm -f shadow shadow- gshadow gshadow- passwd- group- subuid- subgid- .pwd.lock',
    o.suite,
    IN_BUILD.rootfs,
    IN_BUILD.sources,
  ];
  return `#!/bin/sh
${BECOME_ROOT}
mkdir -p ${IN_BUILD.cache}/partial
echo "joblet: waiting for the shared apt cache" >&2
exec flock -w ${o.cacheLockSeconds} ${IN_BUILD.cache}/.joblet-build.lock mmdebstrap ${args.map(shq).join(' ')}
`;
}

/** Mounts a chrooted apt or hook step needs inside /work/rootfs, and their undoing. */
const CHROOT_MOUNTS = `mount --rbind /proc "$R/proc"
made=""
for d in null zero full random urandom tty; do
  if [ ! -e "$R/dev/$d" ]; then : > "$R/dev/$d"; made="$made $d"; fi
  mount --bind "/dev/$d" "$R/dev/$d"
done
mkdir -p "$R/dev/shm"
mount -t tmpfs -o mode=1777,size=64m tmpfs "$R/dev/shm"
[ -e "$R/etc/resolv.conf" ] && cp -a "$R/etc/resolv.conf" /tmp/resolv.conf.orig
cp /etc/resolv.conf "$R/etc/resolv.conf"`;

const CHROOT_UNMOUNTS = `if [ -e /tmp/resolv.conf.orig ]; then cp -a /tmp/resolv.conf.orig "$R/etc/resolv.conf"; else rm -f "$R/etc/resolv.conf"; fi
umount "$R/dev/shm"
for d in null zero full random urandom tty; do umount "$R/dev/$d"; done
for d in $made; do rm -f "$R/dev/$d"; done
umount -l "$R/proc"`;

/** derive.sh: add the plan's packages with apt inside a copy of the base runtime, the shared cache bound in. */
export function deriveScript(plan: BuildPlan, o: { aptOptions: string[]; cacheLockSeconds: number }): string {
  const opts = ['-o', 'APT::Sandbox::User=root', '-o', 'Acquire::Languages=none', '-o', 'Dpkg::Options::=--force-unsafe-io', '-o', 'Dpkg::Use-Pty=false', ...o.aptOptions.flatMap((a) => ['-o', a.replace(/^(\S+) "(.*)";$/, '$1=$2')])];
  return `#!/bin/sh
${BECOME_ROOT}
R=${IN_BUILD.rootfs}
mkdir -p ${IN_BUILD.cache}/partial "$R/var/cache/apt/archives" "$R/var/lib/apt/lists"
cp -a ${IN_BUILD.apt}/var/lib/apt/lists/. "$R/var/lib/apt/lists/"
# The lists were fetched and their signatures checked by resolve.sh; apt inside only installs,
# from exactly the sources those lists belong to (the base's own are put back afterwards).
mkdir -p /tmp/apt-orig "$R/etc/apt/sources.list.d"
mv "$R/etc/apt/sources.list.d" /tmp/apt-orig/sources.list.d
[ -e "$R/etc/apt/sources.list" ] && mv "$R/etc/apt/sources.list" /tmp/apt-orig/sources.list
mkdir "$R/etc/apt/sources.list.d"
cp ${IN_BUILD.work}/sources.chroot.list "$R/etc/apt/sources.list"
${CHROOT_MOUNTS}
echo "joblet: waiting for the shared apt cache" >&2
exec 9>>${IN_BUILD.cache}/.joblet-build.lock
flock -w ${o.cacheLockSeconds} 9
mount --bind ${IN_BUILD.cache} "$R/var/cache/apt/archives"
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive apt-get ${opts.map(shq).join(' ')} install -y --no-install-recommends ${plan.packages.map(shq).join(' ')}
umount "$R/var/cache/apt/archives"
flock -u 9
# As mmdebstrap leaves a root: no package lists or apt caches, no logs of the install.
rm -rf "$R/var/lib/apt/lists/"* "$R/var/cache/apt/"*.bin "$R/var/log/apt/"* "$R/var/log/dpkg.log" "$R/var/log/alternatives.log" "$R/etc/apt/sources.list.d" "$R/etc/apt/sources.list"
mv /tmp/apt-orig/sources.list.d "$R/etc/apt/sources.list.d"
[ -e /tmp/apt-orig/sources.list ] && mv /tmp/apt-orig/sources.list "$R/etc/apt/sources.list"
true
${CHROOT_UNMOUNTS}
`;
}

/** True when the plan has a customize step (hooks, pip or npm). */
export function needsCustomize(plan: BuildPlan): boolean {
  return !!(plan.hooks.preInstall || plan.hooks.postInstall || plan.pip.length || plan.npm.length);
}

/** customize.sh: hooks, pip and npm, each chrooted into the new root, each under the hooks' time limit. */
export function customizeScript(plan: BuildPlan): string {
  const r = IN_BUILD.rootfs;
  const secs = Math.max(1, Math.round(plan.hooks.timeoutMs / 1000));
  const steps: string[] = [];
  const run = (what: string, words: string) => steps.push(`echo "joblet: ${what}"\nrun ${words}`);
  if (plan.hooks.preInstall) run('running the pre_install hook', `/bin/sh -e /tmp/joblet-hooks/pre_install.sh`);
  if (plan.pip.length) {
    run(`pip install ${plan.pip.length} package(s)`, ['python3', '-m', 'pip', 'install', '--break-system-packages', '--root-user-action=ignore', '--no-cache-dir', '--prefix=/usr/local', ...plan.pipOptions, '--', ...plan.pip].map(shq).join(' '));
  }
  if (plan.npm.length) run(`npm install ${plan.npm.length} package(s)`, ['npm', 'install', '--global', '--prefix=/usr/local', '--no-fund', '--no-audit', '--', ...plan.npm].map(shq).join(' '));
  if (plan.hooks.postInstall) run('running the post_install hook', `/bin/sh -e /tmp/joblet-hooks/post_install.sh`);
  return `#!/bin/sh
${BECOME_ROOT}
R=${r}
# What a chrooted step needs: its own view of /proc, a few devices, name resolution.
${CHROOT_MOUNTS}
mkdir -p "$R/tmp/joblet-hooks"
cp -R ${IN_BUILD.hooks}/. "$R/tmp/joblet-hooks/"
run() { timeout --kill-after=10 ${secs} chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
${steps.join('\n')}
echo "joblet: cleaning up"
rm -rf "$R/tmp/joblet-hooks" "$R/root/.npm" "$R/root/.cache"
${CHROOT_UNMOUNTS}
`;
}
