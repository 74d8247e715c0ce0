/**
 * Runtime installs started from the console. An install takes minutes, so it belongs to the
 * console's backend, not to one page view: it goes on while the browser is elsewhere, any page
 * can follow it (and one that reconnects gets only what it missed), and it ends when it is done,
 * when the user cancels it, or when the console stops — like `rnx runtime install` and Ctrl-C,
 * closing the InstallRuntime stream makes the server cancel the build and remove what it staged.
 * A finished install is kept for a while so that a page opened later still shows how it ended.
 */
import { randomUUID } from 'node:crypto';
import type { BuildResult, BuildRuntimeProgress } from '../../gen/joblet';
import { logLine, phaseLine, resultLines } from '../../cli/runtime-format';
import type { NodePool } from '../../cli/node-pool';
import { describeError, JobletError, NotFoundError } from '../../shared/errors';
import type { InstallEventView, InstallView } from '../shared/types';

/** Events kept per install: every phase line, and the newest log lines of a long build. */
const MAX_EVENTS = 1000;
/** How long a finished install is still listed. */
const KEEP_FINISHED_MS = 15 * 60_000;
/** Finished installs listed at most, per console. */
const MAX_FINISHED = 20;

/** One install: its view, its kept events and who waits for the next one. */
interface Install {
  node: string;
  view: InstallView;
  events: InstallEventView[];
  next: number;
  controller: AbortController;
  waiters: Set<() => void>;
}

/** Every install this console started. */
export class RuntimeInstalls {
  private readonly installs = new Map<string, Install>();

  constructor(
    private readonly pool: NodePool,
    shutdown: AbortSignal,
  ) {
    shutdown.addEventListener('abort', () => {
      for (const i of this.installs.values()) i.controller.abort();
    });
  }

  /**
   * Start installing `runtime` on `node`. Resolves once the server has accepted it (its first
   * event); a refusal (unknown runtime, already installed, being installed) rejects with the
   * message rnx prints, and nothing is kept.
   */
  start(node: string, runtime: string, force: boolean): Promise<InstallView> {
    const install: Install = {
      node,
      view: { id: randomUUID(), runtime, force, state: 'running', result: [], startedAt: new Date().toISOString(), endedAt: null, phase: null, packages: null, dropped: 0 },
      events: [],
      next: 1,
      controller: new AbortController(),
      waiters: new Set(),
    };
    return new Promise((accepted, refused) => {
      let first = true;
      const run = this.pool.call(node, async (c) => {
        let result: BuildResult | undefined;
        for await (const ev of c.runtimes.installRuntime({ runtime, force }, { signal: install.controller.signal })) {
          if (first) {
            first = false;
            this.installs.set(install.view.id, install);
            accepted(install.view);
          }
          result = this.record(install, ev) ?? result;
        }
        return result;
      });
      run.then(
        (result) => {
          if (first) return refused(new JobletError('INTERNAL', 'the server ended the install without a word'));
          if (!result) this.finish(install, 'failed', ['the server ended the build without a result']);
          else this.finish(install, result.success ? 'succeeded' : 'failed', resultLines(result));
        },
        (err: unknown) => {
          if (first) return refused(err);
          if (install.controller.signal.aborted) this.finish(install, 'cancelled', [`the install of ${runtime} was cancelled; the server stops the build and removes what it staged`]);
          else this.finish(install, 'failed', [describeError(err)]);
        },
      );
    });
  }

  /** The installs of `node`, newest first (finished ones for a while). */
  list(node: string): InstallView[] {
    this.expire();
    return [...this.installs.values()].filter((i) => i.node === node).map((i) => i.view).reverse();
  }

  /** One install of `node`, or NotFound. */
  get(node: string, id: string): { view: InstallView; events: InstallEventView[] } {
    const i = this.find(node, id);
    return { view: i.view, events: i.events };
  }

  /** Cancel a running install (the server stops the build); a finished one stays as it ended. */
  cancel(node: string, id: string): InstallView {
    const i = this.find(node, id);
    i.controller.abort();
    return i.view;
  }

  /** Resolves at the install's next event or its end (or when `signal` aborts). */
  changed(node: string, id: string, signal: AbortSignal): Promise<void> {
    const i = this.find(node, id);
    if (i.view.state !== 'running' || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        i.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      i.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private find(node: string, id: string): Install {
    const i = this.installs.get(id);
    if (!i || i.node !== node) throw new NotFoundError(`no runtime install '${id}' on node '${node}' (finished installs are kept ${KEEP_FINISHED_MS / 60_000} minutes)`);
    return i;
  }

  /** Keep one event; returns the result when it is the last. */
  private record(i: Install, ev: BuildRuntimeProgress): BuildResult | undefined {
    const p = ev.progressType;
    if (!p) return undefined;
    if (p.$case === 'result') return p.result;
    if (p.$case === 'phase') {
      const ph = p.phase;
      i.view.phase = { number: ph.phaseNumber, total: ph.totalPhases, name: ph.phaseName, text: phaseLine(ph) };
      i.view.packages = ph.currentPackage && ph.packagesTotal ? { current: ph.currentPackage, done: ph.packagesDone, total: ph.packagesTotal } : null;
      // Package by package is the live status above, not a line each (hundreds of them).
      if (!i.view.packages) this.push(i, { n: i.next++, kind: 'phase', text: i.view.phase.text });
    } else {
      this.push(i, { n: i.next++, kind: 'log', text: logLine(p.log), level: p.log.level });
    }
    this.wake(i);
    return undefined;
  }

  private push(i: Install, e: InstallEventView): void {
    i.events.push(e);
    if (i.events.length <= MAX_EVENTS) return;
    // The oldest log line goes; phase lines stay, they are the outline of the build.
    const at = i.events.findIndex((x) => x.kind === 'log');
    i.events.splice(at === -1 ? 0 : at, 1);
    i.view.dropped++;
  }

  private finish(i: Install, state: InstallView['state'], result: string[]): void {
    i.view.state = state;
    i.view.result = result;
    i.view.packages = null;
    i.view.endedAt = new Date().toISOString();
    this.wake(i);
    this.expire();
  }

  private wake(i: Install): void {
    for (const w of [...i.waiters]) w();
  }

  /** Forget finished installs past their time, and the oldest beyond MAX_FINISHED. */
  private expire(): void {
    const finished = [...this.installs.values()].filter((i) => i.view.endedAt !== null);
    const now = Date.now();
    finished.forEach((i, k) => {
      if (now - Date.parse(i.view.endedAt!) > KEEP_FINISHED_MS || finished.length - k > MAX_FINISHED) this.installs.delete(i.view.id);
    });
  }
}
