/**
 * Where the host runs, from DMI/SMBIOS (/sys/class/dmi/id, readable without any network): the
 * cloud provider, the instance type and id where the firmware tables carry them, and the
 * hypervisor. Region and zone are not in DMI; they come from cloud-metadata.ts, only when the
 * config opts in. Serial numbers and UUIDs are never reported.
 */
import * as path from 'node:path';
import type { CloudInfo } from '../../gen/joblet';
import { readKernelFileIfExists } from './read';

/** DMI fields read (all world-readable). */
const DMI_FIELDS = ['sys_vendor', 'product_name', 'product_version', 'board_vendor', 'board_name', 'board_asset_tag', 'chassis_vendor', 'chassis_asset_tag', 'bios_vendor', 'bios_version'] as const;

/** The DMI fields of a host; empty where absent (no DMI at all on some VMs, e.g. Firecracker). */
export type Dmi = Partial<Record<(typeof DMI_FIELDS)[number], string>>;

/** Read DMI from `dir` (tests pass a fake directory). */
export function readDmi(dir = '/sys/class/dmi/id'): Dmi {
  const out: Dmi = {};
  for (const f of DMI_FIELDS) {
    const v = readKernelFileIfExists(path.join(dir, f))?.trim();
    if (v) out[f] = v;
  }
  return out;
}

/** Cloud providers recognisable from DMI; the name is what CloudInfo.provider says. */
export type Provider = 'aws' | 'gcp' | 'azure' | 'digitalocean' | 'oracle' | 'alibaba' | 'hetzner' | 'openstack' | 'linode' | 'vultr' | 'scaleway';

/** The provider DMI points at, or undefined. */
export function providerOf(d: Dmi): Provider | undefined {
  const vendor = (d.sys_vendor ?? '').toLowerCase();
  const product = (d.product_name ?? '').toLowerCase();
  if (vendor === 'amazon ec2' || /amazon/.test((d.bios_version ?? '').toLowerCase())) return 'aws';
  if (vendor === 'google' || product === 'google compute engine') return 'gcp';
  // Azure's chassis asset tag is fixed; plain Hyper-V has the same vendor without it.
  if (d.chassis_asset_tag === '7783-7084-3265-9085-8269-3286-77') return 'azure';
  if (vendor === 'digitalocean') return 'digitalocean';
  if (d.chassis_asset_tag === 'OracleCloud.com') return 'oracle';
  if (vendor.startsWith('alibaba') || product.startsWith('alibaba cloud')) return 'alibaba';
  if (vendor === 'hetzner') return 'hetzner';
  if (product.startsWith('openstack')) return 'openstack';
  if (vendor === 'linode' || vendor === 'akamai') return 'linode';
  if (vendor === 'vultr') return 'vultr';
  if (vendor === 'scaleway') return 'scaleway';
  return undefined;
}

/** Hypervisor from DMI, else from the clock source the kernel chose; "none" on bare metal, "" when unknown. */
export function hypervisorOf(d: Dmi, clocksource: string, cpuFlags: string): string {
  const vendor = d.sys_vendor ?? '';
  const product = d.product_name ?? '';
  if (vendor === 'Amazon EC2') return 'nitro';
  if (vendor === 'QEMU' || /KVM|Google/.test(`${vendor} ${product}`)) return 'kvm';
  if (/VMware/.test(vendor)) return 'vmware';
  if (vendor === 'Microsoft Corporation' && product === 'Virtual Machine') return 'hyperv';
  if (/Xen/.test(vendor) || product === 'HVM domU') return 'xen';
  if (vendor === 'innotek GmbH' || product === 'VirtualBox') return 'virtualbox';
  if (/Parallels/.test(vendor)) return 'parallels';
  if (/BHYVE/i.test(product)) return 'bhyve';
  if (clocksource === 'kvm-clock') return 'kvm';
  if (clocksource === 'xen') return 'xen';
  if (clocksource.startsWith('hyperv')) return 'hyperv';
  return /\bhypervisor\b/.test(cpuFlags) ? '' : 'none';
}

/** CloudInfo from DMI alone. The DMI fields go into metadata (prefixed "dmi."). */
export function cloudFromDmi(d: Dmi, clocksource: string, cpuFlags: string): CloudInfo {
  const provider = providerOf(d);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(d)) metadata[`dmi.${k}`] = v;
  return {
    provider: provider ?? '',
    region: '',
    zone: '',
    // AWS Nitro tables carry the instance type as product name and the instance id as board asset tag.
    instanceId: provider === 'aws' && /^i-[0-9a-f]+$/.test(d.board_asset_tag ?? '') ? d.board_asset_tag! : '',
    instanceType: provider === 'aws' && d.sys_vendor === 'Amazon EC2' ? (d.product_name ?? '') : '',
    hypervisorType: hypervisorOf(d, clocksource, cpuFlags),
    metadata,
  };
}

/** CloudInfo of this host from DMI, the clock source and the CPU flags. */
export function detectCloud(dmiDir?: string): CloudInfo {
  const clocksource = readKernelFileIfExists('/sys/devices/system/clocksource/clocksource0/current_clocksource')?.trim() ?? '';
  const flags = /^flags\s*:(.*)$/m.exec(readKernelFileIfExists('/proc/cpuinfo') ?? '')?.[1] ?? '';
  return cloudFromDmi(readDmi(dmiDir), clocksource, flags);
}
