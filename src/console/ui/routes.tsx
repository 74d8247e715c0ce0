/**
 * Every page of the console: its address under `#/<node>/`, its navigation label, and what it
 * needs. A page that changes things (`write`) is hidden for a read-only node; a page that needs an
 * optional server feature is listed only when the node's server has it. The pages of features
 * still to come (workflows, schedules, monitoring) are entries with a `feature` and no
 * `page` yet: opening one says what the server answered. Adding a page is one entry here.
 */
import type { VNode } from 'preact';
import type { FeatureId } from '../shared/features';
import { FeaturePage } from './pages/feature';
import { JobDetailPage } from './pages/job-detail';
import { JobsPage } from './pages/jobs';
import { MonitoringPage } from './pages/monitoring';
import { NetworksPage } from './pages/networks';
import { RunPage } from './pages/run';
import { RuntimesPage } from './pages/runtimes';
import { SchedulesPage } from './pages/schedules';
import { VolumesPage } from './pages/volumes';
import { WorkflowDetailPage } from './pages/workflow-detail';
import { WorkflowsPage } from './pages/workflows';
import type { Place } from './router';

/** One page. */
export interface RouteDef {
  /** Path segments after the node; ':x' matches one segment and passes it as params.x. */
  path: string[];
  /** Label in the navigation; pages without one (a job's page) are reached by links. */
  nav?: string;
  /** Changes things: hidden for a read-only node. */
  write?: boolean;
  /** Needs this optional server feature. */
  feature?: FeatureId;
  /** Renders the page; absent for features whose page is still to come. */
  page?: (p: { place: Place; params: Record<string, string> }) => VNode;
}

/** All pages, in navigation order. */
export const ROUTES: RouteDef[] = [
  { path: ['jobs'], nav: 'Jobs', page: ({ place }) => <JobsPage place={place} /> },
  { path: ['jobs', ':id'], page: ({ params }) => <JobDetailPage id={params.id!} /> },
  { path: ['run'], nav: 'Run a job', write: true, page: () => <RunPage /> },
  { path: ['workflows'], nav: 'Workflows', feature: 'workflows', page: () => <WorkflowsPage /> },
  { path: ['workflows', ':id'], feature: 'workflows', page: ({ params }) => <WorkflowDetailPage id={params.id!} /> },
  { path: ['schedules'], nav: 'Schedules', feature: 'schedules', page: () => <SchedulesPage /> },
  { path: ['monitoring'], nav: 'Monitoring', feature: 'monitoring', page: () => <MonitoringPage /> },
  { path: ['runtimes'], nav: 'Runtimes', feature: 'runtimes', page: () => <RuntimesPage /> },
  { path: ['volumes'], nav: 'Volumes', page: () => <VolumesPage /> },
  { path: ['networks'], nav: 'Networks', page: () => <NetworksPage /> },
];

/** The route for a path, with its parameters. */
export function findRoute(path: string[]): { route: RouteDef; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.path.length !== path.length) continue;
    const params: Record<string, string> = {};
    let fits = true;
    for (const [i, p] of route.path.entries()) {
      if (p.startsWith(':')) params[p.slice(1)] = path[i]!;
      else if (p !== path[i]) fits = false;
    }
    if (fits) return { route, params };
  }
  return undefined;
}

/** Render a route: its page, or what the server said about its feature. */
export function renderRoute(route: RouteDef, place: Place, params: Record<string, string>, featureAvailable: boolean | undefined): VNode {
  if (route.feature && (!route.page || featureAvailable !== true)) return <FeaturePage feature={route.feature} />;
  return route.page!({ place, params });
}
