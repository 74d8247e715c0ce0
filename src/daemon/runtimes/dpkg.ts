/**
 * Reading what apt and dpkg say: the package database of a built root (var/lib/dpkg/status),
 * apt's simulated install (which packages a build will bring, at which versions) and its errors
 * about packages the archive does not have.
 */

/** Installed packages of a dpkg status file: name → version. */
export function parseDpkgStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const para of text.split(/\n\n+/)) {
    const name = /^Package:\s*(\S+)/m.exec(para)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(para)?.[1];
    const status = /^Status:\s*(.+)$/m.exec(para)?.[1]?.trim();
    if (name && version && status === 'install ok installed') out.set(name, version);
  }
  return out;
}

/** Packages of `apt-get --simulate install` ("Inst NAME (VERSION SUITE [ARCH])"): name → version. */
export function parseSimulatedInstall(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^Inst (\S+) (?:\[\S+\] )?\((\S+) /gm)) out.set(m[1]!.replace(/:[a-z0-9]+$/, ''), m[2]!);
  return out;
}

/** Packages apt could not find, from its error lines, with the reason. */
export function missingPackages(text: string): { name: string; why: string }[] {
  const out: { name: string; why: string }[] = [];
  const add = (name: string, why: string) => {
    if (!out.some((m) => m.name === name)) out.push({ name, why });
  };
  for (const m of text.matchAll(/^E: Unable to locate package (\S+)/gm)) add(m[1]!, 'not in the archive');
  for (const m of text.matchAll(/^E: Package '([^']+)' has no installation candidate/gm)) add(m[1]!, 'no installable version in the archive');
  for (const m of text.matchAll(/^E: Version '([^']+)' for '([^']+)' was not found/gm)) add(`${m[2]}=${m[1]}`, 'that version is not in the archive');
  return out;
}

/** apt's explanation of unmet dependencies, if the text holds one (a few lines). */
export function unmetDependencies(text: string): string | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /The following packages have unmet dependencies/.test(l));
  if (i < 0) return undefined;
  return lines
    .slice(i + 1, i + 6)
    .filter((l) => /Depends|PreDepends|Conflicts|Breaks/.test(l))
    .map((l) => l.trim())
    .join('; ');
}

/** The upstream part of a Debian version: "1:3.11.2-6+deb12u2" → "3.11.2". */
export function upstreamVersion(debVersion: string): string {
  return debVersion.replace(/^\d+:/, '').replace(/[-~+].*$/, '').replace(/\+dfsg.*$/, '');
}
