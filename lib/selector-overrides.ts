import { storage } from 'wxt/utils/storage';
import { SelectorOverridesResponse, type Helpdesk, type SelectorMissReport, type SelectorOverrides } from './contract';
import type { SyncTarget } from './outbox/sync';

const FETCH_TIMEOUT_MS = 3_000;

interface CachedOverrides {
  etag: string | null;
  selectors: SelectorOverrides;
}

/** The last overrides the server sent per helpdesk, so a page load while offline still has them. */
const cacheItem = (helpdesk: Helpdesk) => storage.defineItem<CachedOverrides | null>(`local:selectorOverrides:${helpdesk}`, { fallback: null });

/**
 * The tenant's selector overrides for a helpdesk. Asked on every page load with the last ETag, so an
 * unchanged set costs a 304; when the server cannot be reached the last known set is used. Only the
 * background worker calls this.
 */
export async function fetchSelectorOverrides(target: SyncTarget | null, helpdesk: Helpdesk): Promise<SelectorOverrides> {
  const item = cacheItem(helpdesk);
  const cached = await item.getValue();
  if (!target) return cached?.selectors ?? {};
  try {
    const response = await fetch(new URL(`/v1/helpdesks/${helpdesk}/selectors`, target.serverUrl), {
      headers: { authorization: `Bearer ${target.token}`, ...(cached?.etag ? { 'if-none-match': cached.etag } : {}) },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (response.status === 304 && cached) return cached.selectors;
    if (!response.ok) return cached?.selectors ?? {};
    const { selectors } = SelectorOverridesResponse.parse(await response.json());
    await item.setValue({ etag: response.headers.get('etag'), selectors });
    return selectors;
  } catch {
    return cached?.selectors ?? {};
  }
}

/** One report per hook and page kind an hour is enough to see a breakage; more is noise. */
const REPORT_INTERVAL_MS = 60 * 60_000;
const lastReported = new Map<string, number>();

/** Tells the server a hook stopped matching (best effort: diagnostics never queue). */
export async function reportSelectorMiss(target: SyncTarget | null, report: SelectorMissReport): Promise<boolean> {
  const key = `${report.helpdesk}:${report.key}:${report.overridden}`;
  const now = Date.now();
  if (!target || now - (lastReported.get(key) ?? 0) < REPORT_INTERVAL_MS) return false;
  lastReported.set(key, now);
  try {
    const response = await fetch(new URL('/v1/diagnostics/selector-misses', target.serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
      body: JSON.stringify(report),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    return response.ok;
  } catch {
    return false;
  }
}
