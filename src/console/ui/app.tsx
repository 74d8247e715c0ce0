/**
 * The console's frame: the node selector, the navigation (what this node's server offers, and
 * no actions for a read-only node) and the page of the current address.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { FeatureId } from '../shared/features';
import type { FeatureState, SessionView } from '../shared/types';
import { loadFeatures, loadSession } from './api/session';
import { ErrorLine } from './components/bits';
import { NotFoundPage } from './pages/feature';
import { href, navigate, parseHash, replaceHash, usePlace } from './router';
import { ROUTES, findRoute, renderRoute } from './routes';
import { AppContext } from './state';

/** The whole console. */
export function App() {
  const place = usePlace();
  const [session, setSession] = useState<SessionView | undefined>();
  const [error, setError] = useState('');
  const [features, setFeatures] = useState<{ node: string; states: Record<FeatureId, FeatureState> } | undefined>();

  useEffect(() => {
    loadSession().then(setSession, (err: Error) => setError(err.message));
  }, []);
  useEffect(() => {
    // Read the address now, not the render's: it may have been given a node since (a link
    // followed while the session loaded), and that choice must not be overwritten.
    if (session && !place.node && !parseHash(location.hash).node) replaceHash(href(session.node, ['jobs']));
  }, [session, place.node]);
  useEffect(() => {
    if (!session || !place.node || !session.nodes.some((n) => n.name === place.node)) return;
    let live = true;
    loadFeatures(place.node).then(
      (states) => live && setFeatures({ node: place.node, states }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [session, place.node]);

  if (!session) {
    return (
      <Frame>
        <main class="main">{error ? <ErrorLine message={error} /> : <p class="muted">Loading…</p>}</main>
      </Frame>
    );
  }
  const node = session.nodes.find((n) => n.name === place.node);
  if (!node) {
    return (
      <Frame session={session}>
        <main class="main">{place.node && <ErrorLine message={`node '${place.node}' is not in the client config ${session.configPath}`} />}</main>
      </Frame>
    );
  }
  const states = features?.node === node.name ? features.states : undefined;
  const found = findRoute(place.path.length ? place.path : ['jobs']);
  let content;
  if (!found) content = <NotFoundPage />;
  else if (found.route.write && node.readOnly) content = <ErrorLine message={`node '${node.name}' uses a ${node.role} certificate: the console is read-only for it`} />;
  else content = renderRoute(found.route, place, found.params, found.route.feature ? states?.[found.route.feature].available : undefined);
  const current = found?.route.path[0];
  return (
    <AppContext.Provider value={{ session, node, features: states }}>
      <Frame session={session} node={node.name}>
        <nav class="nav" aria-label="Pages">
          {ROUTES.filter((r) => r.nav && !(r.write && node.readOnly) && (!r.feature || states?.[r.feature].available)).map((r) => (
            <a key={r.path.join('/')} href={href(node.name, r.path)} class={r.path[0] === current ? 'on' : ''} aria-current={r.path[0] === current ? 'page' : undefined}>
              {r.nav}
            </a>
          ))}
        </nav>
        <main class="main" key={`${node.name}/${place.path.join('/')}`}>
          {node.readOnly && (
            <p class="readonly" data-testid="readonly">
              Read-only: node '{node.name}' uses a {node.role} certificate.
            </p>
          )}
          {node.problem && <ErrorLine message={`node '${node.name}': ${node.problem}`} />}
          {content}
        </main>
      </Frame>
    </AppContext.Provider>
  );
}

/** Header with the node selector, around the page. */
function Frame({ session, node, children }: { session?: SessionView; node?: string; children: ComponentChildren }) {
  return (
    <div class="frame">
      <header class="top">
        <a class="brand" href={node ? href(node, ['jobs']) : '#/'}>
          joblet
        </a>
        {session && (
          <label class="node-select">
            <span>Node</span>
            <select
              value={node ?? ''}
              data-testid="node-select"
              onChange={(e) => {
                // Same page on the other node; a job page goes back to the list (ids are per node).
                const to = e.currentTarget.value;
                const page = location.hash.split('/')[2]?.split('?')[0] || 'jobs';
                navigate(href(to, [page]));
              }}
            >
              {!node && <option value="">choose a node</option>}
              {session.nodes.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name} — {n.address} ({n.role})
                </option>
              ))}
            </select>
          </label>
        )}
        {session && <span class="muted small version">rnx {session.version}</span>}
      </header>
      <div class="body">{children}</div>
    </div>
  );
}
