import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from './api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload(): void;
}

/**
 * Runs `load` when a dependency changes and on `reload()`. The last answer stays on screen while
 * the next one loads (no flash of empty tables), and an answer that arrives after a newer request
 * started is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // `load` is a new closure on every render; the caller's deps say when it means a new request.
  const run = useCallback(load, deps);
  useEffect(() => {
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => id === latest.current && setState({ data, error: null, loading: false }),
      (error: unknown) => id === latest.current && setState((s) => ({ ...s, error: errorText(error), loading: false })),
    );
  }, [run, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}
