/** Volumes and networks: list, create, remove — one RPC each, answered in the `rnx --json` forms. */
import { networkJson, volumeJson } from '../../cli/resource-json';
import { checkVolumeName, parseVolumeSize, parseVolumeType } from '../../shared/volumes';
import { readJson, stringField } from '../http';
import type { NetworkView, VolumeView } from '../shared/types';
import type { Route } from './route';

/** Routes of the volumes and networks pages. */
export const resourceRoutes: Route[] = [
  {
    method: 'GET',
    path: 'volumes',
    async handle({ pool, node }): Promise<VolumeView[]> {
      const { volumes } = await pool.call(node, (c) => c.volumes.listVolumes({}));
      return volumes.map(volumeJson);
    },
  },
  {
    method: 'POST',
    path: 'volumes',
    write: true,
    async handle({ req, pool, node }) {
      const body = await readJson(req);
      const name = checkVolumeName(stringField(body, 'name'));
      const size = stringField(body, 'size').trim();
      // Checked here too, with rnx's messages; the server checks again against its ceilings.
      parseVolumeSize(size);
      const type = parseVolumeType(stringField(body, 'type', false));
      const v = await pool.call(node, (c) => c.volumes.createVolume({ name, size, type }));
      return { name: v.name, size: v.size, type: v.type, path: v.path };
    },
  },
  {
    method: 'DELETE',
    path: 'volumes/:name',
    write: true,
    async handle({ pool, node, params }) {
      const name = checkVolumeName(params.name!);
      await pool.call(node, (c) => c.volumes.removeVolume({ name }));
      return { name, removed: true };
    },
  },
  {
    method: 'GET',
    path: 'networks',
    async handle({ pool, node }): Promise<NetworkView[]> {
      const { networks } = await pool.call(node, (c) => c.networks.listNetworks({}));
      return networks.map(networkJson);
    },
  },
  {
    method: 'POST',
    path: 'networks',
    write: true,
    async handle({ req, pool, node }) {
      const body = await readJson(req);
      const name = stringField(body, 'name').trim();
      const cidr = stringField(body, 'cidr').trim();
      const n = await pool.call(node, (c) => c.networks.createNetwork({ name, cidr }));
      return { name: n.name, cidr: n.cidr, bridge: n.bridge };
    },
  },
  {
    method: 'DELETE',
    path: 'networks/:name',
    write: true,
    async handle({ pool, node, params }) {
      await pool.call(node, (c) => c.networks.removeNetwork({ name: params.name! }));
      return { name: params.name!, removed: true };
    },
  },
];
