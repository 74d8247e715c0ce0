/** Runtimes: installed ones and the built-ins available to install, with the rnx commands to install and use them. */
import { shellQuote } from '../../shared/run-spec';
import { listRuntimes } from '../api/runtimes';
import { ErrorLine } from '../components/bits';
import { size } from '../format';
import { usePolled } from '../polled';
import { useApp } from '../state';

/** The runtimes page. */
export function RuntimesPage() {
  const { node } = useApp();
  const { value: runtimes, error } = usePolled(() => listRuntimes(node.name), [node.name]);
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  return (
    <div>
      <div class="page-head">
        <h1>Runtimes</h1>
      </div>
      <ErrorLine message={error} />
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
