/**
 * Hash routing: `#/<node>/<page>[/<id>][?query]`. The node is part of every address, so a link or
 * a reload always shows the same node; the server never needs to know the page's routes.
 */
import { useEffect, useState } from 'preact/hooks';

/** Where the page is. */
export interface Place {
  node: string;
  /** Path segments after the node, decoded: ['jobs', '3f2a…']. */
  path: string[];
  query: URLSearchParams;
}

/** Read a location hash. */
export function parseHash(hash: string): Place {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const parts = (q >= 0 ? raw.slice(0, q) : raw).split('/').filter(Boolean).map(safeDecode);
  return { node: parts[0] ?? '', path: parts.slice(1), query: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
}

/** The hash of a place: href('default', ['jobs', id]). */
export function href(node: string, path: string[], query?: string): string {
  return `#/${[node, ...path].map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}

/** Go to a hash (adds a history entry). */
export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

/** Replace the current hash without a history entry (filters typed into a field). */
export function replaceHash(hash: string): void {
  if (location.hash !== hash) history.replaceState(null, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The current place, re-rendering on every change. */
export function usePlace(): Place {
  const [place, setPlace] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setPlace((old) => (sameHash(old, location.hash) ? old : parseHash(location.hash)));
    window.addEventListener('hashchange', on);
    // The address may have changed between the first render and now, with no listener to hear it.
    on();
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return place;
}

/** Does `p` stand for `hash` already? (Keeps the same object, so nothing re-renders for nothing.) */
function sameHash(p: Place, hash: string): boolean {
  const q = parseHash(hash);
  return q.node === p.node && q.path.join('/') === p.path.join('/') && q.query.toString() === p.query.toString();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
