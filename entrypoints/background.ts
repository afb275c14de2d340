import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { requestSuggestion } from '../lib/backend-client';
import {
  BackgroundRequest,
  describeIssues,
  type BackgroundReplies,
  type BackgroundResponse,
} from '../lib/contract';
import { enqueue, openOutboxDb } from '../lib/outbox/db';
import { createSyncEngine, type SyncTarget } from '../lib/outbox/sync';
import { readSettings } from '../lib/settings';

const SYNC_ALARM = 'loopdesk-sync';
/** Writes arriving close together go out in one batch. */
const SYNC_DEBOUNCE_MS = 500;

async function currentTarget(): Promise<SyncTarget | null> {
  const settings = await readSettings();
  return settings.token ? { serverUrl: settings.serverUrl, token: settings.token } : null;
}

/**
 * The only part of the extension that talks to the Loopdesk backend: suggestion requests, the
 * outbox of annotation events and its sync.
 */
export default defineBackground(() => {
  const db = openOutboxDb();
  const engine = createSyncEngine(db, { target: currentTarget });
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const scheduleSync = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void engine.sync(), SYNC_DEBOUNCE_MS);
  };

  const handlers: { [K in BackgroundRequest['type']]: (request: Extract<BackgroundRequest, { type: K }>) => Promise<BackgroundReplies[K]> } = {
    async suggest({ context }) {
      const target = await currentTarget();
      if (!target) throw new Error('Loopdesk is not set up: add the server URL and token in its options');
      return requestSuggestion(target, context);
    },
    async 'record-event'({ event }) {
      await enqueue(db, event);
      scheduleSync();
      return { queued: true };
    },
    'sync-now': () => engine.sync(),
    status: () => engine.status(),
  };

  browser.runtime.onMessage.addListener((message: unknown, _sender, sendResponse) => {
    const parsed = BackgroundRequest.safeParse(message);
    if (!parsed.success) {
      sendResponse({ ok: false, error: `bad message: ${describeIssues(parsed.error)}` } satisfies BackgroundResponse<never>);
      return false;
    }
    const request = parsed.data;
    const handler = handlers[request.type] as (r: BackgroundRequest) => Promise<unknown>;
    handler(request).then(
      (value) => sendResponse({ ok: true, value }),
      (err: Error) => sendResponse({ ok: false, error: err.message }),
    );
    return true; // answered asynchronously
  });

  browser.alarms.create(SYNC_ALARM, { periodInMinutes: 1 });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === SYNC_ALARM) void engine.sync();
  });
  self.addEventListener('online', () => void engine.sync());
  // Whatever an earlier worker left queued goes out as soon as this one starts.
  void engine.sync();
});
