import { storage } from 'wxt/utils/storage';
import { SelectorOverridesResponse, type Helpdesk, type SelectorMissReport, type SelectorOverrides } from './contract';
import { conditionalGet, type Cached } from './conditional-get';
import type { SyncTarget } from './outbox/sync';

const FETCH_TIMEOUT_MS = 3_000;

/** The last overrides the server sent per helpdesk, so a page load while offline still has them. */
const cacheItem = (helpdesk: Helpdesk) =>
  storage.defineItem<Cached<SelectorOverridesResponse> | null>(`local:selectorOverrides:v2:${helpdesk}`, { fallback: null });

/**
 * The tenant's selector overrides for a helpdesk. Asked on every page load with the last ETag, so an
 * unchanged set costs a 304; when the server cannot be reached the last known set is used. Only the
 * background worker calls this.
 */
export async function fetchSelectorOverrides(target: SyncTarget | null, helpdesk: Helpdesk): Promise<SelectorOverrides> {
  const { value } = await conditionalGet(target, `/v1/helpdesks/${helpdesk}/selectors`, SelectorOverridesResponse, cacheItem(helpdesk));
  return value?.selectors ?? {};
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
