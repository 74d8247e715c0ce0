/** Volume and network tools: list, create, remove — the same checks and JSON as `rnx volume|network`. */
import { z } from 'zod';
import { networkJson, volumeJson } from '../../cli/resource-json';
import { checkVolumeName, parseVolumeSize, parseVolumeType } from '../../shared/volumes';
import { defineTool, jsonResult, type ToolDef } from '../tool';

/** joblet_list_volumes … joblet_remove_network. */
export const resourceTools: ToolDef[] = [
  defineTool({
    name: 'joblet_list_volumes',
    title: 'List volumes',
    description: 'Volumes on the node: name, size, type (filesystem or memory), creation time and how many running jobs use each.',
    input: {},
    write: false,
    async run(_a, ctx) {
      const { volumes } = await ctx.call((c) => c.volumes.listVolumes({}, { signal: ctx.signal }));
      return jsonResult(volumes.map(volumeJson));
    },
  }),
  defineTool({
    name: 'joblet_create_volume',
    title: 'Create a volume',
    description: 'Create a volume that jobs mount read-write at /volumes/NAME (joblet_run_job volumes). filesystem: an ext4 image kept across restarts; memory: a tmpfs, empty after a daemon restart.',
    input: {
      name: z.string().describe('1-63 letters, digits, _ and -, starting with a letter or digit'),
      size: z.string().describe('e.g. "500MB" or "1GB"'),
      type: z.enum(['filesystem', 'memory']).default('filesystem'),
    },
    write: true,
    async run(a, ctx) {
      checkVolumeName(a.name);
      parseVolumeSize(a.size);
      const type = parseVolumeType(a.type);
      const v = await ctx.call((c) => c.volumes.createVolume({ name: a.name, size: a.size.trim(), type }, { signal: ctx.signal }));
      return jsonResult({ name: v.name, size: v.size, type: v.type, path: v.path });
    },
  }),
  defineTool({
    name: 'joblet_remove_volume',
    title: 'Remove a volume',
    description: 'Delete a volume and everything in it (refused while a running job uses it).',
    input: { name: z.string() },
    write: true,
    destructive: true,
    async run(a, ctx) {
      checkVolumeName(a.name);
      await ctx.call((c) => c.volumes.removeVolume({ name: a.name }, { signal: ctx.signal }));
      return jsonResult({ name: a.name, removed: true });
    },
  }),
  defineTool({
    name: 'joblet_list_networks',
    title: 'List networks',
    description: 'Networks on the node (built-in none, isolated, bridge and custom ones): CIDR, bridge and how many running jobs use each.',
    input: {},
    write: false,
    async run(_a, ctx) {
      const { networks } = await ctx.call((c) => c.networks.listNetworks({}, { signal: ctx.signal }));
      return jsonResult(networks.map(networkJson));
    },
  }),
  defineTool({
    name: 'joblet_create_network',
    title: 'Create a network',
    description: 'Create a custom network: jobs started on it reach each other and nothing of other networks.',
    input: {
      name: z.string().describe('1-32 characters of a-z, 0-9 and -'),
      cidr: z.string().describe('An IPv4 network address, /8 to /30, e.g. "10.10.0.0/24"'),
    },
    write: true,
    async run(a, ctx) {
      const n = await ctx.call((c) => c.networks.createNetwork({ name: a.name, cidr: a.cidr }, { signal: ctx.signal }));
      return jsonResult({ name: n.name, cidr: n.cidr, bridge: n.bridge });
    },
  }),
  defineTool({
    name: 'joblet_remove_network',
    title: 'Remove a network',
    description: 'Remove a custom network (refused for built-ins and while running jobs use it).',
    input: { name: z.string() },
    write: true,
    destructive: true,
    async run(a, ctx) {
      await ctx.call((c) => c.networks.removeNetwork({ name: a.name }, { signal: ctx.signal }));
      return jsonResult({ name: a.name, removed: true });
    },
  }),
];
