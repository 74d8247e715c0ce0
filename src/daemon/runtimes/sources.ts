/**
 * Which archive runtimes are built from: the host's own configured Debian/Ubuntu archive, read
 * from apt's source files (one-line `.list` and deb822 `.sources`), or `runtimes.sources` from
 * the config. Only the distribution's archive is used: entries for the host's release (its
 * codename and `codename-*` suites such as -updates and -security) that are not signed by a
 * third-party key. A vendor repository on the host (nodejs, docker, cloud SDKs) must not decide
 * what a runtime contains.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError } from '../../shared/errors';

/** One `deb` entry. */
export interface SourceEntry {
  uri: string;
  suite: string;
  components: string[];
  /** Keyring file (host path) or an inline armored key; absent: apt's trusted keys. */
  signedBy?: string;
}

/** Where apt keeps its configuration (a parameter so tests can point it at a temp dir). */
export interface AptPaths {
  etcApt: string;
  osRelease: string;
}

/** The host's real paths. */
export const HOST_APT: AptPaths = { etcApt: '/etc/apt', osRelease: '/etc/os-release' };

/** Keyrings of the distributions' own archives: entries signed by these are the distribution's. */
const DISTRO_KEYRINGS = /^\/usr\/share\/keyrings\/(debian|ubuntu)-archive-keyring\.(gpg|pgp|asc)$/;

/** Parses one-line apt sources (`deb [opts] URI SUITE COMPONENT...`); deb-src and comments are skipped. */
export function parseOneLine(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    if (!m) continue;
    const opts = Object.fromEntries((m[1] ?? '').trim().split(/\s+/).filter(Boolean).map((o) => o.split('=', 2) as [string, string]));
    out.push({ uri: m[2]!, suite: m[3]!, components: m[4]!.trim().split(/\s+/).filter(Boolean), signedBy: opts['signed-by'] || undefined });
  }
  return out;
}

/** Parses deb822 `.sources` paragraphs; disabled ones and deb-src are skipped. */
export function parseDeb822(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let key = '';
    for (const line of para.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (m) {
        key = m[1]!.toLowerCase();
        fields.set(key, m[2]!);
      } else if (/^\s/.test(line) && key) {
        // A continuation line (an inline key); " ." stands for an empty line.
        fields.set(key, `${fields.get(key)}\n${line.trim() === '.' ? '' : line.trim()}`);
      }
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (/^(no|false)$/i.test(fields.get('enabled') ?? '')) continue;
    const signedBy = fields.get('signed-by')?.trim() || undefined;
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      for (const suite of (fields.get('suites') ?? '').split(/\s+/).filter(Boolean)) {
        out.push({ uri, suite, components: (fields.get('components') ?? '').split(/\s+/).filter(Boolean), signedBy });
      }
    }
  }
  return out;
}

/** The host release's codename (VERSION_CODENAME, else UBUNTU_CODENAME), from os-release. */
export function hostCodename(paths: AptPaths = HOST_APT): string {
  const text = readOr(paths.osRelease);
  const get = (k: string) => new RegExp(`^${k}="?([a-z0-9-]+)"?$`, 'm').exec(text)?.[1];
  const name = get('VERSION_CODENAME') ?? get('UBUNTU_CODENAME');
  if (!name) throw new FailedPreconditionError(`cannot tell this host's release: ${paths.osRelease} has no VERSION_CODENAME; set runtimes.sources in the server config`);
  return name;
}

/** Every `deb` entry apt would use, in apt's order (sources.list, then sources.list.d/ by name). */
export function hostSources(paths: AptPaths = HOST_APT): SourceEntry[] {
  const entries = parseOneLine(readOr(path.join(paths.etcApt, 'sources.list')));
  const dir = path.join(paths.etcApt, 'sources.list.d');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const name of names) {
    // apt reads only these two extensions (and ignores *.disabled, *.save, ...).
    if (name.endsWith('.list')) entries.push(...parseOneLine(readOr(path.join(dir, name))));
    else if (name.endsWith('.sources')) entries.push(...parseDeb822(readOr(path.join(dir, name))));
  }
  return entries;
}

/** The distribution's entries for `codename` (see the module comment). */
export function distributionSources(entries: SourceEntry[], codename: string): SourceEntry[] {
  return entries.filter((e) => {
    if (e.suite !== codename && !e.suite.startsWith(`${codename}-`)) return false;
    return !e.signedBy || DISTRO_KEYRINGS.test(e.signedBy);
  });
}

/** The archive a build uses: the configured lines, or the host's distribution entries. */
export function buildSources(configured: string[], paths: AptPaths = HOST_APT): { entries: SourceEntry[]; suite: string } {
  if (configured.length > 0) {
    const entries = configured.flatMap((l) => parseOneLine(l));
    return { entries, suite: entries[0]!.suite };
  }
  const codename = hostCodename(paths);
  const entries = distributionSources(hostSources(paths), codename);
  if (entries.length === 0) {
    throw new FailedPreconditionError(`this host's apt sources have no entry for its release '${codename}' (${paths.etcApt}/sources.list[.d]); configure the distribution's archive there or set runtimes.sources`);
  }
  return { entries, suite: codename };
}

/** One-line form of an entry; `signedBy` replaced by the path the build sees. */
export function formatEntry(e: SourceEntry, signedBy = e.signedBy): string {
  return `deb ${signedBy ? `[signed-by=${signedBy}] ` : ''}${e.uri} ${e.suite} ${e.components.join(' ')}`.trim();
}

/** Short description of an archive for messages and manifests: "http://deb.debian.org/debian bookworm bookworm-updates". */
export function describeArchive(entries: SourceEntry[]): string[] {
  const byUri = new Map<string, string[]>();
  for (const e of entries) byUri.set(e.uri, [...(byUri.get(e.uri) ?? []), e.suite]);
  return [...byUri].map(([uri, suites]) => `${uri} ${[...new Set(suites)].join(' ')}`);
}

/** Keyring files of apt's global trust store (used for entries without signed-by). */
export function trustedKeyrings(paths: AptPaths = HOST_APT): string[] {
  const out: string[] = [];
  const main = path.join(paths.etcApt, 'trusted.gpg');
  if (fs.existsSync(main)) out.push(main);
  const dir = path.join(paths.etcApt, 'trusted.gpg.d');
  if (fs.existsSync(dir)) {
    for (const name of fs.readdirSync(dir).sort()) if (/\.(gpg|asc)$/.test(name)) out.push(path.join(dir, name));
  }
  return out;
}

/** The dpkg architecture of this host. */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

/** "debian-12-amd64": distribution id, version and architecture, for manifests. */
export function hostPlatform(paths: AptPaths = HOST_APT): string {
  const text = readOr(paths.osRelease);
  const get = (k: string) => new RegExp(`^${k}="?([^"\\n]+)"?$`, 'm').exec(text)?.[1];
  return [get('ID') ?? 'linux', get('VERSION_ID') ?? get('VERSION_CODENAME') ?? '', hostArchitecture()].filter(Boolean).join('-');
}

function readOr(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/**
 * apt settings of the host a build must share to reach the archive: its proxies
 * (Acquire::http::Proxy and friends, from `apt-config dump`), as `Key "value";` lines. A proxy on
 * the host's loopback is not reachable from a build's network namespace.
 */
export function hostAptOptions(run: () => string = aptConfigDump): string[] {
  let text: string;
  try {
    text = run();
  } catch {
    return []; // no apt-config: nothing to copy
  }
  const out: string[] = [];
  for (const m of text.matchAll(/^(Acquire::(?:http|https|ftp)::Proxy(?:::[A-Za-z0-9.-]+)?) "([^"\n]*)";$/gm)) out.push(`${m[1]} "${m[2]}";`);
  return out;
}

function aptConfigDump(): string {
  return (require('node:child_process') as typeof import('node:child_process')).execFileSync('apt-config', ['dump'], { encoding: 'utf8', timeout: 10_000 });
}
