/**
 * Region, zone, instance type and id from the cloud's instance-metadata service. Only used when
 * the config says `monitoring.cloudMetadata: true`, only for a provider DMI already identified
 * (never a blind probe of link-local addresses), each request bounded by a short timeout, and
 * once per daemon run. Tests inject the fetcher; nothing here runs in them over the network.
 */
import * as http from 'node:http';
import type { CloudInfo } from '../../gen/joblet';
import type { Provider } from './cloud';

/** One HTTP request to a metadata service: resolves the body of a 200 answer, rejects otherwise. */
export type Fetcher = (req: { method: 'GET' | 'PUT'; url: string; headers: Record<string, string> }) => Promise<string>;

/** Per-request timeout, ms. */
export const METADATA_TIMEOUT_MS = 1000;

/** A Fetcher over node:http with METADATA_TIMEOUT_MS. */
export const httpFetcher: Fetcher = ({ method, url, headers }) =>
  new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: METADATA_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        // Metadata answers are small; anything huge is not one.
        if (body.length > 65536) req.destroy(new Error('metadata answer too large'));
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${METADATA_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });

const IMDS = 'http://169.254.169.254';

/** What a provider's service tells us; fields it does not know stay undefined. */
type Found = Partial<Pick<CloudInfo, 'region' | 'zone' | 'instanceType' | 'instanceId'>>;

const last = (s: string) => s.trim().split('/').pop() ?? '';

async function aws(get: Fetcher): Promise<Found> {
  // IMDSv2: a session token first (IMDSv1-only access is disabled on many accounts).
  const token = await get({ method: 'PUT', url: `${IMDS}/latest/api/token`, headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } });
  const h = { 'X-aws-ec2-metadata-token': token.trim() };
  const md = (p: string) => get({ method: 'GET', url: `${IMDS}/latest/meta-data/${p}`, headers: h }).then((s) => s.trim());
  return { region: await md('placement/region'), zone: await md('placement/availability-zone'), instanceType: await md('instance-type'), instanceId: await md('instance-id') };
}

async function gcp(get: Fetcher): Promise<Found> {
  const md = (p: string) => get({ method: 'GET', url: `${IMDS}/computeMetadata/v1/instance/${p}`, headers: { 'Metadata-Flavor': 'Google' } });
  // zone is "projects/123/zones/europe-west1-b"; the region is the zone without its last part.
  const zone = last(await md('zone'));
  return { zone, region: zone.replace(/-[a-z]$/, ''), instanceType: last(await md('machine-type')), instanceId: (await md('id')).trim() };
}

async function azure(get: Fetcher): Promise<Found> {
  const body = await get({ method: 'GET', url: `${IMDS}/metadata/instance/compute?api-version=2021-02-01`, headers: { Metadata: 'true' } });
  const c = JSON.parse(body) as { location?: string; zone?: string; vmSize?: string; vmId?: string };
  return { region: c.location, zone: c.zone, instanceType: c.vmSize, instanceId: c.vmId };
}

async function digitalocean(get: Fetcher): Promise<Found> {
  const md = (p: string) => get({ method: 'GET', url: `${IMDS}/metadata/v1/${p}`, headers: {} }).then((s) => s.trim());
  return { region: await md('region'), instanceId: await md('id') };
}

async function oracle(get: Fetcher): Promise<Found> {
  const body = await get({ method: 'GET', url: `${IMDS}/opc/v2/instance/`, headers: { Authorization: 'Bearer Oracle' } });
  const c = JSON.parse(body) as { canonicalRegionName?: string; region?: string; availabilityDomain?: string; shape?: string; id?: string };
  return { region: c.canonicalRegionName ?? c.region, zone: c.availabilityDomain, instanceType: c.shape, instanceId: c.id };
}

async function alibaba(get: Fetcher): Promise<Found> {
  const md = (p: string) => get({ method: 'GET', url: `http://100.100.100.200/latest/meta-data/${p}`, headers: {} }).then((s) => s.trim());
  return { region: await md('region-id'), zone: await md('zone-id'), instanceType: await md('instance/instance-type'), instanceId: await md('instance-id') };
}

const LOOKUPS: Partial<Record<Provider, (get: Fetcher) => Promise<Found>>> = { aws, gcp, azure, digitalocean, oracle, alibaba };

/**
 * `cloud` completed from the provider's metadata service, or unchanged (with the reason in
 * metadata["lookup.error"]) when there is none for the provider or it does not answer.
 */
export async function withInstanceMetadata(cloud: CloudInfo, get: Fetcher = httpFetcher): Promise<CloudInfo> {
  const lookup = LOOKUPS[cloud.provider as Provider];
  if (!lookup) return cloud;
  try {
    const f = await lookup(get);
    return {
      ...cloud,
      region: f.region || cloud.region,
      zone: f.zone || cloud.zone,
      instanceType: f.instanceType || cloud.instanceType,
      instanceId: f.instanceId || cloud.instanceId,
      metadata: { ...cloud.metadata, 'lookup.source': 'instance-metadata' },
    };
  } catch (err) {
    return { ...cloud, metadata: { ...cloud.metadata, 'lookup.error': `instance metadata: ${(err as Error).message}` } };
  }
}
