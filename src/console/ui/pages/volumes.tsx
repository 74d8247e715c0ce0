/** Volumes: the list (refreshed every few seconds), a create form, and remove with confirmation. */
import { useState } from 'preact/hooks';
import { shellQuote } from '../../shared/run-spec';
import type { VolumeView } from '../../shared/types';
import { createVolume, listVolumes, removeVolume } from '../api/resources';
import { CommandBox, ErrorLine, Section } from '../components/bits';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { localTime } from '../format';
import { usePolled } from '../polled';
import { useApp } from '../state';

/** The volumes page. */
export function VolumesPage() {
  const { node } = useApp();
  const { value: volumes, error, reload } = usePolled(() => listVolumes(node.name), [node.name]);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const rnx = (args: string) => `rnx${node.isDefault ? '' : ` --node=${shellQuote(node.name)}`} ${args}`;
  const askRemove = (v: VolumeView) =>
    setConfirm({
      title: `Remove volume ${v.name}?`,
      text: 'The volume and everything stored in it are deleted. This is refused while a running job uses it.',
      command: rnx(`volume remove ${shellQuote(v.name)}`),
      confirmLabel: 'Remove volume',
      action: async () => {
        await removeVolume(node.name, v.name);
        reload();
      },
    });
  return (
    <div>
      <div class="page-head">
        <h1>Volumes</h1>
      </div>
      <ErrorLine message={error} />
      {!volumes ? (
        !error && <p class="muted">Loading…</p>
      ) : volumes.length === 0 ? (
        <p class="empty">No volumes on this node.</p>
      ) : (
        <table class="table" data-testid="volumes">
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
              <th>Type</th>
              <th>Created</th>
              <th>Jobs using it</th>
              {!node.readOnly && <th class="actions">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {volumes.map((v) => (
              <tr key={v.name} data-volume={v.name}>
                <td>
                  <span class="mono">{v.name}</span>
                  {v.problem && <div class="error small">{v.problem}</div>}
                </td>
                <td>{v.size}</td>
                <td>{v.type}</td>
                <td>{localTime(v.createdTime)}</td>
                <td>{v.jobCount}</td>
                {!node.readOnly && (
                  <td class="actions">
                    <button type="button" class="btn small danger-ghost" onClick={() => askRemove(v)} data-testid="remove">
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!node.readOnly && <CreateVolume node={node.name} rnx={rnx} onCreated={reload} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

function CreateVolume({ node, rnx, onCreated }: { node: string; rnx: (a: string) => string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [size, setSize] = useState('');
  const [type, setType] = useState('filesystem');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await createVolume(node, { name: name.trim(), size: size.trim(), type });
      setName('');
      setSize('');
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Create a volume">
      <form class="inline-form" onSubmit={submit} data-testid="create-volume">
        <label class="field">
          <span>Name</span>
          <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="data" autocomplete="off" />
        </label>
        <label class="field">
          <span>Size</span>
          <input name="size" required value={size} onInput={(e) => setSize(e.currentTarget.value)} placeholder="500MB, 1GB" autocomplete="off" />
        </label>
        <label class="field">
          <span>Type</span>
          <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="filesystem">filesystem (ext4 image, kept across restarts)</option>
            <option value="memory">memory (tmpfs, empty after a daemon restart)</option>
          </select>
        </label>
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create'}
        </button>
      </form>
      <CommandBox command={rnx(`volume create ${shellQuote(name.trim() || 'NAME')} --size=${shellQuote(size.trim() || 'SIZE')} --type=${type}`)} />
      <ErrorLine message={error} />
    </Section>
  );
}
