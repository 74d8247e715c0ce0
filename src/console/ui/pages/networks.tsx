/** Networks: built-in and custom ones, a create form, and remove (custom ones) with confirmation. */
import { useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { NetworkView } from '../../shared/types';
import { createNetwork, listNetworks, removeNetwork } from '../api/resources';
import { CommandBox, ErrorLine, Section } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { usePolled } from '../polled';
import { useApp } from '../state';

/** The networks page. */
export function NetworksPage() {
  const { node } = useApp();
  const { value: networks, error, reload } = usePolled(() => listNetworks(node.name), [node.name]);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  const askRemove = (n: NetworkView) =>
    setConfirm({
      title: `Remove network ${n.name}?`,
      text: 'Its bridge and firewall rules are removed. This is refused while a running job uses it.',
      command: rnx(`network remove ${shellQuote(n.name)}`),
      confirmLabel: 'Remove network',
      action: async () => {
        await removeNetwork(node.name, n.name);
        reload();
      },
    });
  return (
    <div>
      <div class="page-head">
        <h1>Networks</h1>
      </div>
      <ErrorLine message={error} />
      {!networks ? (
        !error && <p class="muted">Loading…</p>
      ) : (
        <table class="table" data-testid="networks">
          <thead>
            <tr>
              <th>Name</th>
              <th>CIDR</th>
              <th>Bridge</th>
              <th>Jobs</th>
              {!node.readOnly && <th class="actions">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {networks.map((n) => (
              <tr key={n.name} data-network={n.name}>
                <td>
                  <span class="mono">{n.name}</span> {n.builtin && <span class="badge">built-in</span>}
                </td>
                <td>{n.cidr || '—'}</td>
                <td>{n.bridge || '—'}</td>
                <td>{n.jobs}</td>
                {!node.readOnly && (
                  <td class="actions">
                    {!n.builtin && (
                      <button type="button" class="btn small danger-ghost" onClick={() => askRemove(n)} data-testid="remove">
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
      {!node.readOnly && <CreateNetwork node={node.name} rnx={rnx} onCreated={reload} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

function CreateNetwork({ node, rnx, onCreated }: { node: string; rnx: (a: string) => string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [cidr, setCidr] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await createNetwork(node, { name: name.trim(), cidr: cidr.trim() });
      setName('');
      setCidr('');
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Create a network">
      <form class="inline-form" onSubmit={submit} data-testid="create-network">
        <label class="field">
          <span>Name</span>
          <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="backend" autocomplete="off" />
        </label>
        <label class="field">
          <span>CIDR</span>
          <input name="cidr" required value={cidr} onInput={(e) => setCidr(e.currentTarget.value)} placeholder="10.10.0.0/24" autocomplete="off" />
        </label>
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </form>
      <CommandBox command={rnx(`network create ${shellQuote(name.trim() || 'NAME')} --cidr=${shellQuote(cidr.trim() || 'CIDR')}`)} />
      <ErrorLine message={error} />
    </Section>
  );
}
