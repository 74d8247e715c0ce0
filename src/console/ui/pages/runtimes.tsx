/**
 * Runtimes: installed ones and the built-ins available to install. A built-in is installed with
 * its progress shown live (components/install-panel.tsx); an installed runtime can be tested (its
 * smoke test, as a job), built again, or removed after a confirmation. Each action shows the rnx
 * command that does the same, and the server's refusal as rnx prints it. A viewer node gets the
 * list only.
 */
import { useEffect, useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { InstallView, RuntimeTestView, RuntimeView } from '../../shared/types';
import { installRuntime, listInstalls, listRuntimes, removeRuntime, testRuntime } from '../api/runtimes';
import { ErrorLine, Section } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { InstallPanel } from '../components/install-panel';
import { size } from '../format';
import { usePolled } from '../polled';
import { href } from '../router';
import { useApp } from '../state';

/** Installs whose panel was closed, for as long as the page is open (the console still lists them). */
const dismissed = new Set<string>();

/** The runtimes page. */
export function RuntimesPage() {
  const { node } = useApp();
  const { value: runtimes, error, reload } = usePolled(() => listRuntimes(node.name), [node.name]);
  const [installs, setInstalls] = useState<InstallView[]>([]);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [actionError, setActionError] = useState('');
  const [testing, setTesting] = useState('');
  const [tested, setTested] = useState<RuntimeTestView | null>(null);
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  const loadInstalls = () =>
    listInstalls(node.name).then(
      (all) => setInstalls(all.filter((i) => !dismissed.has(i.id))),
      (err: Error) => setActionError(err.message),
    );
  useEffect(() => void loadInstalls(), [node.name]);

  const install = async (r: RuntimeView, force: boolean) => {
    setActionError('');
    const started = await installRuntime(node.name, r.name, force);
    setInstalls((all) => [started, ...all.filter((i) => i.id !== started.id)]);
    reload();
  };
  const act = (fn: () => Promise<unknown>) => async () => {
    try {
      await fn();
    } catch (err) {
      setActionError((err as Error).message);
    }
  };
  const test = async (r: RuntimeView) => {
    setActionError('');
    setTested(null);
    setTesting(r.name);
    try {
      setTested(await testRuntime(node.name, r.name));
    } catch (err) {
      setActionError((err as Error).message);
    } finally {
      setTesting('');
    }
  };
  const askReinstall = (r: RuntimeView) =>
    setConfirm({
      title: `Build ${r.name} again?`,
      text: 'The runtime is built anew from the archive and replaces the installed one. This is refused while jobs use it.',
      command: rnx(`runtime install ${shellQuote(r.name)} --force`),
      confirmLabel: 'Build again',
      action: () => install(r, true),
    });
  const askRemove = (r: RuntimeView) =>
    setConfirm({
      title: `Remove runtime ${r.name}?`,
      text: `Every installed version of ${r.name} is deleted from the server; jobs can no longer use it. This is refused while jobs use it.`,
      command: rnx(`runtime remove ${shellQuote(r.name)}`),
      confirmLabel: 'Remove runtime',
      action: async () => {
        await removeRuntime(node.name, r.name);
        reload();
      },
    });

  return (
    <div>
      <div class="page-head">
        <h1>Runtimes</h1>
      </div>
      <ErrorLine message={error} />
      <div data-testid="action-error">
        <ErrorLine message={actionError} />
      </div>
      {installs.map((i) => (
        <InstallPanel
          key={i.id}
          node={node.name}
          install={i}
          readOnly={node.readOnly}
          onEnd={reload}
          onDismiss={() => {
            dismissed.add(i.id);
            setInstalls((all) => all.filter((x) => x.id !== i.id));
          }}
        />
      ))}
      {tested && <TestResult result={tested} node={node.name} onClose={() => setTested(null)} />}
      {!runtimes ? (
        !error && <p class="muted">Loading…</p>
      ) : (
        <table class="table" data-testid="runtimes">
          <thead>
            <tr>
              <th>Name</th>
              <th>Version</th>
              <th>Language</th>
              <th>Size</th>
              <th>Packages</th>
              <th>Status</th>
              <th>Use</th>
              {!node.readOnly && <th class="actions">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {runtimes.map((r) => (
              <tr key={`${r.name}@${r.version}`} data-runtime={r.name} data-status={r.status} title={r.description}>
                <td>
                  <span class="mono">{r.name}</span> {r.aliases.length > 0 && <span class="muted">({r.aliases.join(', ')})</span>}
                </td>
                <td>{r.version}</td>
                <td>{`${r.language} ${r.languageVersion}`.trim()}</td>
                <td>{r.sizeBytes ? size(r.sizeBytes) : '—'}</td>
                <td>{r.packageCount || '—'}</td>
                <td>
                  {r.status}
                  {r.jobs > 0 && ` (${r.jobs} job${r.jobs > 1 ? 's' : ''})`}
                  {r.problem && <span class="muted"> {r.problem}</span>}
                </td>
                <td class="mono">{r.status === 'installed' ? rnx(`run --runtime=${r.name} …`) : r.status === 'available' ? rnx(`runtime install ${r.name}`) : ''}</td>
                {!node.readOnly && (
                  <td class="actions">
                    {r.status === 'available' && (
                      <button type="button" class="btn small primary" onClick={act(() => install(r, false))} data-testid="install">
                        Install
                      </button>
                    )}
                    {r.status === 'installed' && (
                      <button type="button" class="btn small" onClick={() => void test(r)} disabled={testing !== ''} data-testid="test">
                        {testing === r.name ? 'Testing…' : 'Test'}
                      </button>
                    )}
                    {r.status === 'installed' && r.builtin && (
                      <button type="button" class="btn small ghost" onClick={() => askReinstall(r)} data-testid="reinstall">
                        Build again
                      </button>
                    )}
                    {(r.status === 'installed' || r.status === 'broken') && (
                      <button type="button" class="btn small danger-ghost" onClick={() => askRemove(r)} data-testid="remove">
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

/** A smoke test's outcome, as `rnx runtime test` prints it, with a link to its job. */
function TestResult({ result: r, node, onClose }: { result: RuntimeTestView; node: string; onClose: () => void }) {
  return (
    <Section
      title={`Test of ${r.runtime}`}
      actions={
        <button type="button" class="btn small ghost" onClick={onClose}>
          Close
        </button>
      }
    >
      <div data-testid="test-result" data-success={r.success ? 'yes' : 'no'}>
        <p class="muted small">
          Ran as job <a href={href(node, ['jobs', r.jobId])}>{r.jobId}</a>
        </p>
        <pre class="log-text test-output" data-testid="test-output">
          {r.output}
          {r.error && <span class="err">{r.error}</span>}
        </pre>
        <p class={r.success ? 'ok-line' : 'error'} data-testid="test-verdict">
          {r.success ? '✓ Runtime test passed' : `✗ Runtime test failed (exit code ${r.exitCode})`}
        </p>
      </div>
    </Section>
  );
}
