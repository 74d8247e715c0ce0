/**
 * One runtime install, live: the phase it is in, the package being installed with a meter, the
 * build's log (warnings and errors, or every line — as `rnx runtime install [--verbose]` shows
 * it) and how it ended, in rnx's words. Followed over the install's event stream, so a page
 * opened in the middle of a build picks it up where it is.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InstallEventView, InstallView } from '../../shared/types';
import { cancelInstall, installLiveUrl } from '../api/runtimes';
import { useLive } from '../live';
import { ErrorLine } from './bits';

/** Label and badge class of each state. */
const STATES: Record<InstallView['state'], [string, string]> = {
  running: ['installing', 'st-running'],
  succeeded: ['installed', 'st-completed'],
  failed: ['failed', 'st-failed'],
  cancelled: ['cancelled', 'st-canceled'],
};

/** The live view of `install`; `onEnd` hears once that it has finished, `onDismiss` closes the panel. */
export function InstallPanel({ node, install, readOnly, onEnd, onDismiss }: { node: string; install: InstallView; readOnly: boolean; onEnd: () => void; onDismiss: () => void }) {
  const [view, setView] = useState(install);
  const [events, setEvents] = useState<InstallEventView[]>([]);
  const [verbose, setVerbose] = useState(false);
  const [error, setError] = useState('');
  const [ended, setEnded] = useState(false);
  const logRef = useRef<HTMLPreElement>(null);
  useLive(installLiveUrl(node, install.id), {
    install: (v: InstallView) => setView(v),
    events: (more: InstallEventView[]) => setEvents((all) => [...all, ...more]),
    end: () => setEnded(true),
    onError: (closed) => {
      if (closed) setError('the live connection to the console was closed; reload the page');
    },
  });
  const running = view.state === 'running';
  useEffect(() => {
    if (!running) onEnd();
  }, [running]);
  // Keep the newest line in sight while the build runs.
  useEffect(() => {
    const el = logRef.current;
    if (el && running) el.scrollTop = el.scrollHeight;
  }, [events.length, verbose]);
  const shown = events.filter((e) => verbose || e.kind === 'phase' || e.level === 'warn' || e.level === 'error');
  const [label, badge] = STATES[view.state];
  const cancel = async () => {
    try {
      await cancelInstall(node, view.id);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="card" data-testid="install-panel" data-install={view.runtime} data-state={view.state} data-ended={ended ? 'yes' : 'no'}>
      <div class="card-head">
        <h2>
          Install of <span class="mono">{view.runtime}</span>
          {view.force ? ' (again, --force)' : ''} <span class={`badge ${badge}`}>{label}</span>
        </h2>
        <div class="row">
          <label class="small">
            <input type="checkbox" checked={verbose} onChange={(e) => setVerbose(e.currentTarget.checked)} data-testid="install-verbose" /> every log line
          </label>
          {running && !readOnly && (
            <button type="button" class="btn small danger-ghost" onClick={cancel} data-testid="cancel-install">
              Cancel
            </button>
          )}
          {!running && (
            <button type="button" class="btn small ghost" onClick={onDismiss} data-testid="dismiss-install">
              Dismiss
            </button>
          )}
        </div>
      </div>
      {view.phase && (
        <p class="install-phase mono" data-testid="install-phase">
          {view.phase.text}
        </p>
      )}
      {view.packages && (
        <p class="install-packages small" data-testid="install-packages">
          <meter min={0} max={view.packages.total} value={view.packages.done} /> {view.packages.done}/{view.packages.total} packages — {view.packages.current}
        </p>
      )}
      <pre class="log-text install-log" ref={logRef} data-testid="install-log">
        {view.dropped > 0 && <div class="note">[{view.dropped} earlier log lines not kept]</div>}
        {shown.map((e) => (
          <div key={e.n} class={e.kind === 'phase' ? 'phase' : e.level === 'error' ? 'err' : e.level === 'warn' ? 'warn' : 'out'}>
            {e.kind === 'phase' ? e.text : `  ${e.text}`}
          </div>
        ))}
      </pre>
      {view.result.length > 0 && (
        <div class={view.state === 'succeeded' ? 'ok-line' : 'error'} role={view.state === 'succeeded' ? 'status' : 'alert'} data-testid="install-result">
          {view.result.map((l) => (
            <div key={l}>{l}</div>
          ))}
        </div>
      )}
      <ErrorLine message={error} />
    </section>
  );
}
