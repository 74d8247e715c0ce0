/**
 * Live data from the console's event streams. One EventSource per page view; it is closed when
 * the page goes, when the address changes, and on the server's `end` event (otherwise the browser
 * would reconnect and start over).
 */
import { useEffect, useRef } from 'preact/hooks';

/** Handlers by event name; `onError` hears of a broken connection (the browser retries by itself). */
export type LiveHandlers = Record<string, (data: any) => void> & { onError?: (closed: boolean) => void };

/** Follow the stream at `url` (none when it is undefined) for as long as the component shows it. */
export function useLive(url: string | undefined, handlers: LiveHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!url) return;
    const es = new EventSource(url);
    const names = Object.keys(ref.current).filter((k) => k !== 'onError');
    const listeners = names.map((name) => {
      const fn = (e: MessageEvent) => ref.current[name]?.(JSON.parse(e.data));
      es.addEventListener(name, fn);
      return [name, fn] as const;
    });
    const end = () => es.close();
    es.addEventListener('end', end);
    es.onerror = () => ref.current.onError?.(es.readyState === EventSource.CLOSED);
    return () => {
      for (const [name, fn] of listeners) es.removeEventListener(name, fn);
      es.removeEventListener('end', end);
      es.close();
    };
  }, [url]);
}
