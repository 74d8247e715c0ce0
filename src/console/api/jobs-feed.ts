/**
 * The live jobs list. While at least one page watches a node, one poller per node asks the server
 * every second for the page each watcher shows (ListJobs paged and filtered by the server; one call
 * per distinct page) and sends it whenever it changed. A change made through the console pokes the
 * poller, so the page shows it at once.
 */
import { describeError } from '../../shared/errors';
import type { NodePool } from '../../cli/node-pool';
import { jobsPageQueryString, parseJobsPageQuery, type JobsPageQuery } from '../shared/jobs-paging';
import { fetchJobsPage } from './jobs';
import { EventStream } from '../sse';
import { HANDLED, type Route } from './route';

const INTERVAL_MS = 1000;

interface Watcher {
  stream: EventStream;
  query: JobsPageQuery;
  last: string;
}

interface Poller {
  watchers: Set<Watcher>;
  timer?: NodeJS.Timeout;
  running: boolean;
  again: boolean;
}

/** One poller per watched node. */
export class JobsFeed {
  private readonly pollers = new Map<string, Poller>();

  constructor(private readonly pool: NodePool) {}

  /** Send `stream` the page `query` of `node`'s jobs now and whenever it changes, until it closes. */
  watch(node: string, stream: EventStream, query: JobsPageQuery): void {
    let p = this.pollers.get(node);
    if (!p) {
      p = { watchers: new Set(), running: false, again: false };
      this.pollers.set(node, p);
    }
    const w: Watcher = { stream, query, last: '' };
    p.watchers.add(w);
    stream.signal.addEventListener('abort', () => {
      p.watchers.delete(w);
      if (p.watchers.size === 0) {
        clearTimeout(p.timer);
        this.pollers.delete(node);
      }
    });
    this.poke(node);
  }

  /** Poll `node` now (after a change made through the console). */
  poke(node: string): void {
    const p = this.pollers.get(node);
    if (!p) return;
    if (p.running) {
      p.again = true;
      return;
    }
    clearTimeout(p.timer);
    void this.tick(node, p);
  }

  private async tick(node: string, p: Poller): Promise<void> {
    p.running = true;
    try {
      const byQuery = new Map<string, Watcher[]>();
      for (const w of p.watchers) {
        const key = jobsPageQueryString(w.query);
        byQuery.set(key, [...(byQuery.get(key) ?? []), w]);
      }
      const pages = await Promise.all([...byQuery.values()].map((ws) => this.pool.call(node, (c) => fetchJobsPage(c, ws[0]!.query, AbortSignal.timeout(30_000))).then((page) => ({ ws, text: JSON.stringify(page) }))));
      await Promise.all(
        pages.flatMap(({ ws, text }) => ws.map(async (w) => {
          if (text === w.last) return;
          w.last = text;
          await w.stream.send('page', JSON.parse(text));
        })),
      );
    } catch (err) {
      // The node may come back: say why the list is stale, keep polling.
      const message = describeError(err);
      await Promise.all(
        [...p.watchers].map(async (w) => {
          if (w.last === `error:${message}`) return;
          w.last = `error:${message}`;
          await w.stream.send('failure', { message });
        }),
      );
    } finally {
      p.running = false;
    }
    if (this.pollers.get(node) !== p) return;
    if (p.again) {
      p.again = false;
      void this.tick(node, p);
      return;
    }
    p.timer = setTimeout(() => void this.tick(node, p), INTERVAL_MS);
  }

  /** Stop every poller. */
  close(): void {
    for (const p of this.pollers.values()) clearTimeout(p.timer);
    this.pollers.clear();
  }
}

/** GET live/jobs?status=&q=&limit=&before=: `page` events (a JobsPageView) whenever the page changes. */
export const jobsFeedRoute: Route = {
  method: 'GET',
  path: 'live/jobs',
  async handle({ req, res, url, node, pool, feeds, shutdown }) {
    pool.node(node);
    const stream = new EventStream(req, res, shutdown);
    feeds.watch(node, stream, parseJobsPageQuery(url.searchParams));
    return HANDLED;
  },
};
