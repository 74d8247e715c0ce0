/** Small pieces every page uses: status badges, error lines, the command box, empty states. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/** A job status, coloured by kind. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge st-${status.toLowerCase()}`}>{status}</span>;
}

/** One error line (the server's message) with a role for screen readers. */
export function ErrorLine({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/** The rnx command that does the same as what the page shows, with a copy button. */
export function CommandBox({ command, label = 'Equivalent command' }: { command: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // No clipboard outside secure contexts: the text stays selectable.
    }
  };
  return (
    <div class="cmdbox">
      <span class="cmdlabel">{label}</span>
      <code data-testid="command">{command}</code>
      <button type="button" class="btn small ghost" onClick={copy}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/** A titled section of a page. */
export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      <div class="card-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Label/value rows. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
