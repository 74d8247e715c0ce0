/** The session and the node's optional features. */
import type { FeatureId } from '../../shared/features';
import type { FeatureState, SessionView } from '../../shared/types';
import { call, nodeApi, setCsrf } from './core';

/** Nodes, start node and CSRF token (remembered for later mutations). */
export async function loadSession(): Promise<SessionView> {
  const s = await call<SessionView>('GET', '/api/session');
  setCsrf(s.csrf);
  return s;
}

/** Which optional features the node's server has. */
export function loadFeatures(node: string): Promise<Record<FeatureId, FeatureState>> {
  return call('GET', nodeApi(node, 'features'));
}
