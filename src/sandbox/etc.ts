/**
 * The job's /etc, synthesized from the spec: never the host's (it holds shadow, keys, the
 * daemon's config). Content builders are pure so unit tests can check them; writeEtc puts them
 * into a root being built.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobSpec } from './spec';
import { JobletError } from '../shared/errors';
import { bind, ensureDir, ensureFile, hostPath, RO, writeRootFile, type Root } from './mounts';

/** Where the CA bundle appears inside the job (Debian/Ubuntu path, which OpenSSL and curl use). */
export const CA_BUNDLE_PATH = '/etc/ssl/certs/ca-certificates.crt';

/** /etc/passwd: root (for tools that look up uid 0) and the job user. */
export function passwdFile(spec: Pick<JobSpec, 'uid' | 'gid' | 'userName' | 'env'>): string {
  const home = spec.env.HOME ?? '/work';
  return `root:x:0:0:root:/root:/usr/sbin/nologin\n${spec.userName}:x:${spec.uid}:${spec.gid}:${spec.userName}:${home}:/bin/sh\n`;
}

/** /etc/group: root and the job user's primary group (named after the user). */
export function groupFile(spec: Pick<JobSpec, 'gid' | 'userName'>): string {
  return `root:x:0:\n${spec.userName}:x:${spec.gid}:\n`;
}

/**
 * /etc/hosts: loopback names, the job's hostname, then the daemon's extra lines. When those name
 * the host (a job on a network: its own address), 127.0.1.1 is left out so the name resolves
 * to the address other jobs reach it at.
 */
export function hostsFile(spec: Pick<JobSpec, 'hostname' | 'hostsExtra'>): string {
  const extra = spec.hostsExtra && !spec.hostsExtra.endsWith('\n') ? `${spec.hostsExtra}\n` : spec.hostsExtra;
  const named = extra.split('\n').some((l) => l.split(/\s+/).slice(1).includes(spec.hostname));
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${named ? '' : `127.0.1.1\t${spec.hostname}\n`}${extra}`;
}

/** /etc/nsswitch.conf: files only for users, DNS for hosts; no host NSS modules (sssd, ldap). */
export const NSSWITCH = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';

/** Host directory of Debian-style alternatives (awk → mawk ...), mirrored as symlinks only. */
export const ALTERNATIVES_DIR = '/etc/alternatives';

/**
 * The alternatives links worth mirroring: absolute targets inside a directory the job sees
 * (`visible`), man pages left out (hundreds of links, no use without man's own files). Read by
 * the daemon, not the init: reading ~400 links costs ~10 ms, so it is cached until the
 * directory changes.
 */
export function alternativeLinks(hostDir: string, visible: string[]): Array<[string, string]> {
  const mtime = fs.statSync(hostDir, { throwIfNoEntry: false })?.mtimeMs;
  if (mtime === undefined) return []; // not a Debian-family host
  const key = `${hostDir}\0${mtime}\0${visible.join('\0')}`;
  if (altCache?.key === key) return altCache.links;
  const links: Array<[string, string]> = [];
  for (const name of fs.readdirSync(hostDir)) {
    let target: string;
    try {
      target = fs.readlinkSync(path.join(hostDir, name));
    } catch {
      continue; // not a symlink
    }
    if (target.includes('/man/') || !visible.some((v) => target.startsWith(`${v}/`))) continue;
    links.push([name, target]);
  }
  altCache = { key, links };
  return links;
}

let altCache: { key: string; links: Array<[string, string]> } | undefined;

/**
 * Writes the synthesized /etc (with `alternatives` links) into a root being built, with an empty
 * mount point for the CA bundle; bindCaBundle fills it (after a runtime's /etc went underneath).
 */
export function writeEtc(root: Root, spec: JobSpec, alternatives: Array<[string, string]>): void {
  if (alternatives.length > 0) {
    const dir = ensureDir(root, ALTERNATIVES_DIR);
    for (const [name, target] of alternatives) {
      if (name.includes('/') || name === '.' || name === '..') throw new JobletError('INTERNAL', `bad alternatives link name '${name}'`);
      fs.symlinkSync(target, path.join(dir, name));
    }
  }
  writeRootFile(root, '/etc/passwd', passwdFile(spec));
  writeRootFile(root, '/etc/group', groupFile(spec));
  writeRootFile(root, '/etc/hosts', hostsFile(spec));
  writeRootFile(root, '/etc/hostname', `${spec.hostname}\n`);
  writeRootFile(root, '/etc/resolv.conf', spec.resolvConf);
  writeRootFile(root, '/etc/nsswitch.conf', NSSWITCH);
  if (hasCaBundle(spec)) ensureFile(root, CA_BUNDLE_PATH);
}

/** Binds the host's CA bundle read-only onto the mount point writeEtc made. */
export function bindCaBundle(root: Root, spec: JobSpec): void {
  if (hasCaBundle(spec)) bind(spec.caCertsFile, hostPath(root, CA_BUNDLE_PATH), RO);
}

function hasCaBundle(spec: JobSpec): boolean {
  return !!spec.caCertsFile && !!fs.statSync(spec.caCertsFile, { throwIfNoEntry: false })?.isFile();
}
