/**
 * The MTU of job networks (bridges and both ends of every job's veth). A job's packets leave
 * through the host's route to the outside; if the job's interface allowed bigger packets than
 * that path, packets that do not fit are lost wherever PMTU discovery is blocked (common in
 * clouds, whose uplinks have 1460, 1450 or 1400). So the jobs get the MTU of that route:
 * the route's own `mtu` metric or its device's MTU, whichever is smaller. `network.mtu` in the
 * config overrides it. The one place that decides; links.ts only applies the number.
 */
import type { HostTools } from './tools';

/** Ethernet's MTU, used when the host has no default route. */
export const DEFAULT_MTU = 1500;

/** The chosen MTU and where it comes from, for the start-up log. */
export interface MtuChoice {
  mtu: number;
  source: string;
}

/** A default route as `ip -j -4 route show default` reports it (the fields we use). */
interface DefaultRoute {
  dev?: string;
  metric?: number;
  metrics?: { mtu?: number }[];
  nexthops?: { dev?: string }[];
}

/** The MTU for job networks: `configured` (network.mtu) when non-zero, else the host's route to the outside. */
export async function chooseMtu(tools: HostTools, configured: number): Promise<MtuChoice> {
  if (configured > 0) return { mtu: configured, source: 'network.mtu' };
  const routes = await tools.ipJson<DefaultRoute[]>(['-4', 'route', 'show', 'default']);
  // The kernel uses the default route with the lowest metric.
  const route = [...routes].sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0];
  if (!route) return { mtu: DEFAULT_MTU, source: 'no default route on the host' };
  const devs = [route.dev, ...(route.nexthops ?? []).map((h) => h.dev)].filter((d): d is string => !!d);
  const candidates: { mtu: number; what: string }[] = [];
  const routeMtu = route.metrics?.find((m) => m.mtu)?.mtu;
  if (routeMtu) candidates.push({ mtu: routeMtu, what: 'the default route' });
  for (const dev of new Set(devs)) {
    const [link] = await tools.ipJson<{ mtu?: number }[]>(['link', 'show', 'dev', dev]);
    if (link?.mtu) candidates.push({ mtu: link.mtu, what: dev });
  }
  const min = candidates.sort((a, b) => a.mtu - b.mtu)[0];
  if (!min) return { mtu: DEFAULT_MTU, source: 'the default route names no device' };
  return { mtu: min.mtu, source: `the host's route to the outside (${min.what})` };
}
