/**
 * Who and what the host is: names, OS, kernel, boot time, this daemon's node id, its addresses,
 * and the build of the daemon itself. Everything but uptime and addresses is read once.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostInfo } from '../../gen/joblet';
import { isJobletInterface, type IfAddresses } from './network';
import { readKernelFileIfExists } from './read';

/** Fields of /etc/os-release (KEY="value" lines). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))$/gm)) {
    out[m[1]!] = (m[2] ?? m[3] ?? m[4] ?? '').replace(/\\(.)/g, '$1');
  }
  return out;
}

function osRelease(): Record<string, string> {
  // The standard location, then the fallback the os-release spec names.
  return parseOsRelease(readKernelFileIfExists('/etc/os-release') ?? readKernelFileIfExists('/usr/lib/os-release') ?? '');
}

/**
 * This daemon's node id: a UUID made at first start and kept in `<stateDir>/node-id`, so it stays
 * the same across restarts and differs between daemons on one host.
 */
export function nodeId(stateDir: string): string {
  const file = path.join(stateDir, 'node-id');
  const existing = readKernelFileIfExists(file)?.trim();
  if (existing && /^[0-9a-f-]{36}$/.test(existing)) return existing;
  const id = randomUUID();
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${id}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return id;
}

/** The parts of HostInfo that do not change while the daemon runs. */
export interface StaticHost {
  os: string;
  platform: string;
  kernelVersion: string;
  architecture: string;
  nodeId: string;
}

/** Read the static parts once. */
export function staticHost(stateDir: string): StaticHost {
  const rel = osRelease();
  return {
    os: rel.PRETTY_NAME || rel.NAME || 'Linux',
    platform: [rel.ID || 'linux', rel.VERSION_ID].filter(Boolean).join(' '),
    kernelVersion: os.release(),
    architecture: os.machine(),
    nodeId: nodeId(stateDir),
  };
}

/** The server's own addresses and MACs: every interface but loopback and those joblet made for jobs. */
function ownAddresses(addrs: IfAddresses): { ips: string[]; macs: string[] } {
  const ips: string[] = [];
  const macs = new Set<string>();
  for (const [name, a] of Object.entries(addrs)) {
    if (name === 'lo' || isJobletInterface(name)) continue;
    ips.push(...a.ips);
    if (a.mac && a.mac !== '00:00:00:00:00:00') macs.add(a.mac);
  }
  return { ips, macs: [...macs] };
}

/** HostInfo now. */
export function hostInfo(s: StaticHost, bootTimeSec: number, cpuCount: number, memTotal: number, addrs: IfAddresses): HostInfo {
  const uptime = Number((readKernelFileIfExists('/proc/uptime') ?? '0').split(' ')[0]);
  const { ips, macs } = ownAddresses(addrs);
  return {
    hostname: os.hostname(),
    os: s.os,
    kernelVersion: s.kernelVersion,
    architecture: s.architecture,
    bootTime: new Date(bootTimeSec * 1000).toISOString(),
    uptime: Math.floor(uptime),
    nodeId: s.nodeId,
    serverIps: ips,
    macAddresses: macs,
    platform: s.platform,
    cpuCount,
    totalMemory: memTotal,
  };
}

