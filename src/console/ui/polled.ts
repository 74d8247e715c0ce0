/** A value fetched now and every few seconds while the page shows it (lists without a live stream). */
import { useEffect, useRef, useState } from 'preact/hooks';

const EVERY_MS = 5000;

/** The latest value of `load`, its error, and a way to reload at once. */
export function usePolled<T>(load: () => Promise<T>, deps: unknown[]): { value?: T; error: string; reload: () => void } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () =>
      loader.current().then(
        (v) => {
          if (!live) return;
          setValue(v);
          setError('');
          timer = setTimeout(run, EVERY_MS);
        },
        (err: Error) => {
          if (!live) return;
          setError(err.message);
          timer = setTimeout(run, EVERY_MS);
        },
      );
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { value, error, reload: () => setTick((t) => t + 1) };
}
