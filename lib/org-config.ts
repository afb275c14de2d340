import { storage } from 'wxt/utils/storage';
import { AgentAssignment, EXPERIMENT_ASSIGNMENT_KEY, TENANT_SETTINGS_KEY, TenantSettingsResponse } from './contract';
import { conditionalGet, type Cached } from './conditional-get';
import type { SyncTarget } from './outbox/sync';

/**
 * The agent's experiment assignment as the server last sent it. Content scripts watch this item
 * (`storage.onChanged`) to apply a change to an open ticket without a reload.
 */
export const assignmentItem = storage.defineItem<Cached<AgentAssignment> | null>(`local:${EXPERIMENT_ASSIGNMENT_KEY}`, { fallback: null });

/** The tenant's settings as the server last sent them; lib/settings.ts ranks them below policy. */
export const tenantSettingsItem = storage.defineItem<Cached<TenantSettingsResponse> | null>(`local:${TENANT_SETTINGS_KEY}`, { fallback: null });

/** Until the server says otherwise; the promise is that changes arrive within a minute. */
export const DEFAULT_POLL_SECONDS = 30;

export interface OrgConfigPoller {
  /** Asks the server now (a 304 each when nothing changed) and schedules the next ask. */
  poll(): Promise<void>;
}

/**
 * Polls what the organisation decides on the server for this agent: the experiment assignment
 * (`GET /v1/experiments/assignment`) and the tenant's settings (`GET /v1/tenant/settings`), every
 * `pollSeconds` (the server's figure) while the worker lives. Chrome stops an idle worker after
 * 30 s, taking timers with it, so the background also polls from an alarm and at start; together
 * they keep a change under a minute old.
 */
export function createOrgConfigPoller(target: () => Promise<SyncTarget | null>): OrgConfigPoller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | null = null;

  async function pollOnce(): Promise<void> {
    const to = await target();
    const [{ value: assignment }] = await Promise.all([
      conditionalGet(to, '/v1/experiments/assignment', AgentAssignment, assignmentItem),
      conditionalGet(to, '/v1/tenant/settings', TenantSettingsResponse, tenantSettingsItem),
    ]);
    clearTimeout(timer);
    timer = setTimeout(() => void poller.poll(), (assignment?.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000);
  }

  const poller: OrgConfigPoller = {
    poll() {
      // Never two rounds at once: an alarm and a timer firing together share one.
      running ??= pollOnce().finally(() => {
        running = null;
      });
      return running;
    },
  };
  return poller;
}
