/** What every page knows: the session, the node it shows and what that node's server offers. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { FeatureId } from '../shared/features';
import type { FeatureState, NodeView, SessionView } from '../shared/types';

/** The app's shared state. */
export interface AppState {
  session: SessionView;
  node: NodeView;
  /** Undefined until the node has been asked. */
  features?: Record<FeatureId, FeatureState>;
}

/** Context carrying AppState. */
export const AppContext = createContext<AppState | undefined>(undefined);

/** The app's state (inside <App>). */
export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error('useApp outside <App>');
  return s;
}
