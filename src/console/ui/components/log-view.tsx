/**
 * A job's output as it arrives: stdout plain, stderr marked, joblet's own notices set apart. Text
 * is appended to the DOM directly (re-rendering a long log on every chunk would not keep up) and
 * only the last MAX_CHARS characters stay on the page; the download has everything.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LogEvent } from '../../shared/types';

const MAX_CHARS = 2_000_000;
const CLASS: Record<number, string> = { 1: 'out', 2: 'err', 3: 'note' };
// Terminal control sequences (colours, cursor moves) mean nothing here.
// eslint-disable-next-line no-control-regex
const CSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;

/** Receives output events and writes them into the mounted view. */
export class LogSink {
  el: HTMLPreElement | null = null;
  private pending: LogEvent[] = [];
  private chars = 0;
  /** Called when earlier output had to leave the page. */
  onTrim?: () => void;
  /** Called with the number of characters received so far. */
  onGrow?: (chars: number) => void;

  /** Add output; it is written on the next animation frame. */
  append(events: LogEvent[]): void {
    this.pending.push(...events);
    if (this.pending.length === events.length) requestAnimationFrame(() => this.flush());
  }

  /** Write what is pending into the element. */
  flush(): void {
    const el = this.el;
    if (!el || this.pending.length === 0) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    for (const e of this.pending) {
      const text = e.t.replace(CSI, '');
      if (!text) continue;
      const last = el.lastElementChild as HTMLElement | null;
      if (last && last.dataset.s === String(e.s)) last.append(text);
      else {
        const span = document.createElement('span');
        span.className = CLASS[e.s] ?? 'out';
        span.dataset.s = String(e.s);
        span.textContent = text;
        el.append(span);
      }
      this.chars += text.length;
    }
    this.pending = [];
    let trimmed = false;
    while (this.chars > MAX_CHARS && el.firstElementChild) {
      this.chars -= el.firstElementChild.textContent?.length ?? 0;
      el.firstElementChild.remove();
      trimmed = true;
    }
    if (trimmed) this.onTrim?.();
    this.onGrow?.(this.chars);
    if (atBottom) el.scrollTop = el.scrollHeight;
  }
}

/** The output panel, with stdout/stderr toggles. */
export function LogView({ sink, done }: { sink: LogSink; done: boolean }) {
  const ref = useRef<HTMLPreElement>(null);
  const [trimmed, setTrimmed] = useState(false);
  const [empty, setEmpty] = useState(true);
  const [showOut, setShowOut] = useState(true);
  const [showErr, setShowErr] = useState(true);
  useEffect(() => {
    sink.el = ref.current;
    sink.onTrim = () => setTrimmed(true);
    sink.onGrow = (n) => setEmpty(n === 0);
    sink.flush();
    return () => {
      sink.el = null;
    };
  }, [sink]);
  return (
    <div class="log">
      <div class="log-bar">
        <label>
          <input type="checkbox" checked={showOut} onChange={(e) => setShowOut(e.currentTarget.checked)} /> stdout
        </label>
        <label>
          <input type="checkbox" checked={showErr} onChange={(e) => setShowErr(e.currentTarget.checked)} /> <span class="err-key">stderr</span>
        </label>
        <span class="muted">{done ? 'complete' : 'live'}</span>
      </div>
      {trimmed && <p class="muted small">Earlier output is not shown here: download the log for all of it.</p>}
      <pre ref={ref} class={`log-text${showOut ? '' : ' hide-out'}${showErr ? '' : ' hide-err'}`} data-testid="log" aria-live="polite" />
      {empty && <p class="muted small">{done ? 'The job printed nothing.' : 'No output yet.'}</p>}
    </div>
  );
}
