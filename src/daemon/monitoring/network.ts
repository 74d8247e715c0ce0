/**
 * Network interfaces: /proc/net/dev counters, rates between two readings, addresses from
 * getifaddrs (os.networkInterfaces). The host-side veths of jobs are summed into one entry "jv*"
 * (a busy server has hundreds); bridges and every other interface are listed one by one.
 */
import * as os from 'node:os';
import type { NetworkMetrics } from '../../gen/joblet';
import { BRIDGE_PATTERN, JOB_VETH_PATTERN } from '../network/names';
import { round2 } from './cpu';
import { readKernelFileIfExists } from './read';

/** Counters of one interface. */
export interface IfCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

/** Name of the entry that sums every job veth. */
export const JOB_VETHS_ENTRY = 'jv*';

/** Parse /proc/net/dev ("  eth0: rxbytes rxpackets rxerrs rxdrop … txbytes …"). */
export function parseNetDev(text: string): Map<string, IfCounters> {
  const out = new Map<string, IfCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || f.length < 16 || f.some((n) => !Number.isFinite(n))) continue;
    out.set(name, { rxBytes: f[0]!, rxPackets: f[1]!, rxErrors: f[2]!, rxDrops: f[3]!, txBytes: f[8]!, txPackets: f[9]!, txErrors: f[10]!, txDrops: f[11]! });
  }
  return out;
}

/** Addresses and MAC of each interface, as getifaddrs reports them. */
export type IfAddresses = Record<string, { ips: string[]; mac: string }>;

/** Addresses of every interface (without the IPv6 link-local ones, which say nothing to a user). */
export function interfaceAddresses(): IfAddresses {
  const out: IfAddresses = {};
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    const ips = (list ?? []).filter((a) => !(a.family === 'IPv6' && a.address.startsWith('fe80:'))).map((a) => a.address);
    out[name] = { ips, mac: list?.[0]?.mac ?? '' };
  }
  return out;
}

/** Interfaces joblet itself made (job veths, network bridges): not the server's own addresses. */
export function isJobletInterface(name: string): boolean {
  return JOB_VETH_PATTERN.test(name) || BRIDGE_PATTERN.test(name);
}

function rate(now: number, prev: number | undefined, seconds: number): number {
  // A counter that went backwards was reset (the interface was re-created): no rate for this window.
  return prev === undefined || seconds <= 0 || now < prev ? 0 : round2((now - prev) / seconds);
}

function entry(name: string, c: IfCounters, prev: IfCounters | undefined, seconds: number, ips: string[], mac: string): NetworkMetrics {
  return {
    interface: name,
    bytesReceived: c.rxBytes,
    bytesSent: c.txBytes,
    packetsReceived: c.rxPackets,
    packetsSent: c.txPackets,
    errorsIn: c.rxErrors,
    errorsOut: c.txErrors,
    dropsIn: c.rxDrops,
    dropsOut: c.txDrops,
    receiveRate: rate(c.rxBytes, prev?.rxBytes, seconds),
    transmitRate: rate(c.txBytes, prev?.txBytes, seconds),
    ipAddresses: ips,
    macAddress: mac,
    interfaceCount: 1,
  };
}

/** Network section: one entry per interface, job veths summed into "jv*" (counted in interfaceCount). */
export function networkMetrics(now: Map<string, IfCounters>, prev: Map<string, IfCounters> | undefined, seconds: number, addrs: IfAddresses): NetworkMetrics[] {
  const out: NetworkMetrics[] = [];
  let vethSum: NetworkMetrics | undefined;
  for (const [name, c] of [...now].sort(([a], [b]) => a.localeCompare(b))) {
    if (!JOB_VETH_PATTERN.test(name)) {
      // getifaddrs lists only interfaces with an address; the others' MAC comes from sysfs.
      const mac = addrs[name]?.mac || (readKernelFileIfExists(`/sys/class/net/${name}/address`)?.trim() ?? '');
      out.push(entry(name, c, prev?.get(name), seconds, addrs[name]?.ips ?? [], mac));
      continue;
    }
    const e = entry(name, c, prev?.get(name), seconds, [], '');
    if (!vethSum) {
      vethSum = { ...e, interface: JOB_VETHS_ENTRY };
      continue;
    }
    vethSum.interfaceCount++;
    for (const k of ['bytesReceived', 'bytesSent', 'packetsReceived', 'packetsSent', 'errorsIn', 'errorsOut', 'dropsIn', 'dropsOut', 'receiveRate', 'transmitRate'] as const) {
      vethSum[k] += e[k];
    }
  }
  if (vethSum) out.push({ ...vethSum, receiveRate: round2(vethSum.receiveRate), transmitRate: round2(vethSum.transmitRate) });
  return out;
}
