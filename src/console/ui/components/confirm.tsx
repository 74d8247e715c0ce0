/**
 * Confirmation before anything that cannot be undone: says what will happen, shows the rnx
 * command that does the same, runs the action and shows its error in place if it fails.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CommandBox, ErrorLine } from './bits';

/** What to confirm. */
export interface ConfirmRequest {
  title: string;
  text: string;
  command: string;
  confirmLabel: string;
  action: () => Promise<unknown>;
}

/** A modal dialog for `request` (nothing when it is null). */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (request && !d.open) {
      setError('');
      setBusy(false);
      d.showModal();
    } else if (!request && d.open) d.close();
  }, [request]);
  const confirm = async () => {
    if (!request) return;
    setBusy(true);
    setError('');
    try {
      await request.action();
      onClose();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" onCancel={onClose} aria-labelledby="confirm-title">
      {request && (
        <div>
          <h2 id="confirm-title">{request.title}</h2>
          <p>{request.text}</p>
          <CommandBox command={request.command} label="Same as" />
          <ErrorLine message={error} />
          <div class="row end">
            <button type="button" class="btn ghost" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="button" class="btn danger" onClick={confirm} disabled={busy} data-testid="confirm">
              {busy ? 'Working…' : request.confirmLabel}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
