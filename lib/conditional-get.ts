import type { z } from 'zod';
import type { SyncTarget } from './outbox/sync';

const FETCH_TIMEOUT_MS = 3_000;

/** What the last successful answer was, with the ETag to ask with next time. */
export interface Cached<T> {
  etag: string | null;
  value: T;
}

export interface CacheSlot<T> {
  getValue(): Promise<Cached<T> | null>;
  setValue(value: Cached<T>): Promise<void>;
}

/**
 * GETs a small, rarely changing resource from the Loopdesk backend with the last ETag, so that an
 * unchanged one costs a 304, and keeps the last answer in `cache` so that the extension still has
 * it offline. `changed` is true only when the server sent a new value. Never rejects: without a
 * target, or when the server cannot be reached or answers badly, the cached value (or null) comes
 * back. Only the background worker calls this.
 */
export async function conditionalGet<S extends z.ZodType>(
  target: SyncTarget | null,
  path: string,
  schema: S,
  cache: CacheSlot<z.infer<S>>,
): Promise<{ value: z.infer<S> | null; changed: boolean }> {
  const cached = await cache.getValue();
  const stale = { value: cached?.value ?? null, changed: false };
  if (!target) return stale;
  try {
    const response = await fetch(new URL(path, target.serverUrl), {
      headers: { authorization: `Bearer ${target.token}`, ...(cached?.etag ? { 'if-none-match': cached.etag } : {}) },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) return stale; // a 304 included
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) return stale;
    await cache.setValue({ etag: response.headers.get('etag'), value: parsed.data });
    return { value: parsed.data, changed: true };
  } catch {
    return stale;
  }
}
