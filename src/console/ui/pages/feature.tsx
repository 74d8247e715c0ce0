/**
 * The page of a feature this console knows by name but cannot show: either the connected server
 * does not have it (its own answer is quoted), or the server has it and this console does not
 * have the page yet. Nothing is made up.
 */
import { FEATURES, type FeatureId } from '../../shared/features';
import { useApp } from '../state';

/** What is known about `feature` on the current node. */
export function FeaturePage({ feature }: { feature: FeatureId }) {
  const { node, features } = useApp();
  const info = FEATURES[feature];
  const state = features?.[feature];
  return (
    <div data-testid="feature-unavailable">
      <div class="page-head">
        <h1>{info.label}</h1>
      </div>
      <div class="notice">
        {!state ? (
          <p>Asking node '{node.name}' whether it offers {info.label.toLowerCase()}…</p>
        ) : state.available ? (
          <p>
            Node '{node.name}' offers {info.label.toLowerCase()}, but this console has no page for it yet: use rnx.
          </p>
        ) : (
          <>
            <p>
              {info.label} {info.label.endsWith('s') ? 'are' : 'is'} not available on node '{node.name}'.
            </p>
            <p class="muted">
              {info.rpc ? 'The server answered: ' : ''}
              {state.message}
            </p>
          </>
        )}
      </div>
    </div>
  );
}

/** An address that is no page. */
export function NotFoundPage() {
  return (
    <div>
      <h1>Not found</h1>
      <p>There is no such page in the console.</p>
    </div>
  );
}
