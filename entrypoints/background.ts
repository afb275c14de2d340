import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { streamSuggestion } from '../lib/backend-client';
import {
  BackgroundRequest,
  describeIssues,
  SUGGEST_PORT,
  SuggestPortRequest,
  type BackgroundReplies,
  type BackgroundResponse,
  type SuggestPortMessage,
} from '../lib/contract';
import { amendRationale, openOutboxDb } from '../lib/outbox/db';
import { discardQuarantined, listQuarantine, retryQuarantined } from '../lib/outbox/quarantine';
import { dismissOutboxLost, noteOutboxCreated, outboxLostMessage } from '../lib/outbox/lost';
import { enqueueWithRoom, isQuotaError, reopenAfterFailedOpen, STORAGE_UNAVAILABLE, writeWithRoom } from '../lib/outbox/storage';
import { createSyncEngine, type SyncTarget } from '../lib/outbox/sync';
import { rationaleDone, rememberRationale } from '../lib/outbox/ticket-memory';
import { createOrgConfigPoller } from '../lib/org-config';
import { effectiveToken, enrollIfNeeded, enrollmentView, markRevokedIfEnrolled } from '../lib/enrollment';
import { fetchSelectorOverrides, reportSelectorMiss } from '../lib/selector-overrides';
import { annotationKindOf, hostAllowed, readEffectiveSettings, settleManagedPolicy, type EffectiveSettings } from '../lib/settings';

const SYNC_ALARM = 'loopdesk-sync';
/** Wakes a stopped worker to ask for experiment and tenant-settings changes (Chrome's shortest alarm period is 30 s). */
const ORG_CONFIG_ALARM = 'loopdesk-org-config';
/** Writes arriving close together go out in one batch. */
const SYNC_DEBOUNCE_MS = 500;

/** A shared token (policy or options) first, else the agent's own enrolled token (lib/enrollment.ts). */
async function targetOf(settings: EffectiveSettings): Promise<SyncTarget | null> {
  const token = await effectiveToken(settings);
  return token ? { serverUrl: settings.serverUrl, token } : null;
}

/** The page a message or port came from, when it is a web page (not one of the extension's own). */
function senderHost(sender: { url?: string } | undefined): string | null {
  if (!sender?.url) return null;
  const url = new URL(sender.url);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname : null;
}

/**
 * The only part of the extension that talks to the Loopdesk backend: suggestion requests, the
 * outbox of annotation events and its sync.
 */
export default defineBackground(() => {
  // Right after a force-install the policy may not be in managed storage yet: wait for it (the
  // first run only) before the first sync, and before telling an agent with no token of their own
  // that Loopdesk is not set up.
  const policySettled = settleManagedPolicy().catch(() => false);
  async function currentTarget(): Promise<SyncTarget | null> {
    const target = await targetOf((await readEffectiveSettings()).settings);
    if (target) return target;
    await policySettled;
    return targetOf((await readEffectiveSettings()).settings);
  }

  const db = openOutboxDb(undefined, undefined, { onCreated: () => noteOutboxCreated() });
  const engine = createSyncEngine(db, { target: currentTarget, storageLost: outboxLostMessage });
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const scheduleSync = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void engine.sync(), SYNC_DEBOUNCE_MS);
  };

  type Sender = { url?: string };
  const handlers: {
    [K in BackgroundRequest['type']]: (request: Extract<BackgroundRequest, { type: K }>, sender: Sender) => Promise<BackgroundReplies[K]>;
  } = {
    async 'record-event'({ event: recorded, holdMs }) {
      // Kinds of annotation the organisation switched off never leave the browser.
      const { annotations } = (await readEffectiveSettings()).settings;
      const kind = annotationKindOf(recorded.type);
      if (kind && !annotations[kind]) throw new Error(`${kind} feedback is switched off by your organization`);
      const event = recorded.type === 'adoption' && !annotations.rationale ? { ...recorded, rationale: undefined } : recorded;
      // Stored before anything else; when the disk is full this fails loudly instead of dropping it.
      await enqueueWithRoom(db, event, holdMs);
      if (holdMs) setTimeout(() => void engine.sync(), holdMs + SYNC_DEBOUNCE_MS);
      else scheduleSync();
      return { queued: true };
    },
    async 'amend-rationale'({ id, rationale }) {
      if (!(await readEffectiveSettings()).settings.annotations.rationale) return { amended: false };
      const amended = await amendRationale(db, id, rationale);
      if (amended) scheduleSync();
      return { amended };
    },
    async 'ticket-memory-get'({ key }) {
      return { rationaleDone: await rationaleDone(db, key) };
    },
    async 'overlay-config'(_request, sender) {
      const { settings } = await readEffectiveSettings();
      const host = senderHost(sender);
      return {
        redaction: settings.redaction,
        annotations: settings.annotations,
        hostAllowed: host === null || hostAllowed(host, settings.allowedHelpdeskHosts),
      };
    },
    'selector-overrides': async ({ helpdesk }) => fetchSelectorOverrides(await currentTarget(), helpdesk),
    async 'selector-miss'({ helpdesk, key, overridden }) {
      if (!(await readEffectiveSettings()).settings.telemetry) return { reported: false };
      const clientVersion = browser.runtime.getManifest().version;
      return { reported: await reportSelectorMiss(await currentTarget(), { helpdesk, key, overridden, clientVersion }) };
    },
    async 'ticket-memory-set'({ key, rationaleDone: done }) {
      await writeWithRoom(db, () => rememberRationale(db, key, done));
      return { saved: true };
    },
    // The agent asked: events waiting out a backoff go too.
    'sync-now': () => engine.sync({ force: true }),
    status: () => engine.status(),
    async 'storage-lost-dismiss'() {
      await dismissOutboxLost();
      return engine.status();
    },
    async 'agent-identity'({ helpdesk, identity }) {
      await policySettled;
      const { settings } = await readEffectiveSettings();
      const before = await effectiveToken(settings);
      const state = await enrollIfNeeded(settings, helpdesk, identity);
      if (!before && state?.status === 'enrolled') {
        // The first token of this browser: queued events can go, and experiments apply.
        scheduleSync();
        void orgConfig.poll();
      }
      return enrollmentView(settings);
    },
    'enrollment-status': async () => enrollmentView((await readEffectiveSettings()).settings),
    'quarantine-list': () => listQuarantine(db),
    async 'quarantine-retry'({ id }) {
      const retried = await writeWithRoom(db, () => retryQuarantined(db, id));
      if (retried) scheduleSync();
      return { retried };
    },
    async 'quarantine-discard'({ id }) {
      return { discarded: await discardQuarantined(db, id) };
    },
  };

  browser.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
    const parsed = BackgroundRequest.safeParse(message);
    if (!parsed.success) {
      sendResponse({ ok: false, error: `bad message: ${describeIssues(parsed.error)}` } satisfies BackgroundResponse<never>);
      return false;
    }
    const request = parsed.data;
    const handler = handlers[request.type] as (r: BackgroundRequest, s: Sender) => Promise<unknown>;
    handler(request, sender).then(
      (value) => sendResponse({ ok: true, value }),
      (err: Error) => {
        // A full disk made the database fail to open: the next request tries again.
        reopenAfterFailedOpen(db);
        sendResponse({ ok: false, error: isQuotaError(err) ? STORAGE_UNAVAILABLE : err.message });
      },
    );
    return true; // answered asynchronously
  });

  // Suggestions stream over a port (see SUGGEST_PORT): one request per port, events relayed as they
  // arrive. The content script disconnects after `done` or `error`; a disconnect before that cancels
  // the request to the server, which in turn stops the model calls.
  browser.runtime.onConnect.addListener((port) => {
    if (port.name !== SUGGEST_PORT) return;
    const cancel = new AbortController();
    let started = false;
    port.onDisconnect.addListener(() => cancel.abort());
    const post = (message: SuggestPortMessage) => {
      if (cancel.signal.aborted) return;
      try {
        port.postMessage(message);
      } catch {
        cancel.abort(); // the page went away between two events
      }
    };
    port.onMessage.addListener((message: unknown) => {
      if (started) return;
      started = true;
      const parsed = SuggestPortRequest.safeParse(message);
      if (!parsed.success) {
        post({ type: 'error', error: `bad message: ${describeIssues(parsed.error)}` });
        return;
      }
      void (async () => {
        const host = senderHost(port.sender);
        const { settings } = await readEffectiveSettings();
        if (host !== null && !hostAllowed(host, settings.allowedHelpdeskHosts)) {
          post({ type: 'error', error: `Loopdesk is not enabled for ${host} by your organization` });
          return;
        }
        // Read once per request; only an install still waiting for its policy reads again.
        const target = (await targetOf(settings)) ?? (await currentTarget());
        if (!target) {
          const error = settings.enrollmentToken
            ? 'Loopdesk is enrolling this browser: it needs to see who is signed in to the helpdesk (open the Loopdesk popup for details)'
            : 'Loopdesk is not set up: add the server URL and token in its options';
          post({ type: 'error', error });
          return;
        }
        await streamSuggestion(target, parsed.data.context, post, cancel.signal).catch(async (err: Error) => {
          // An enrolled token the server no longer knows was revoked: say so, not just "401".
          if (/answered 401/.test(err.message) && (await markRevokedIfEnrolled(settings, target.token))) {
            post({ type: 'error', error: "This browser's Loopdesk token was revoked: ask your administrator for a new enrollment" });
            return;
          }
          post({ type: 'error', error: err.message });
        });
      })();
    });
  });

  // Experiment changes reach open tickets through the assignment item the content scripts watch;
  // tenant settings reach every reader of the effective settings.
  const orgConfig = createOrgConfigPoller(currentTarget);
  void policySettled.then(() => orgConfig.poll());

  browser.alarms.create(SYNC_ALARM, { periodInMinutes: 1 });
  browser.alarms.create(ORG_CONFIG_ALARM, { periodInMinutes: 0.5 });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === SYNC_ALARM) void engine.sync().catch(() => reopenAfterFailedOpen(db));
    if (alarm.name === ORG_CONFIG_ALARM) void orgConfig.poll();
  });
  // Caches an older build kept under keys it no longer reads.
  browser.runtime.onInstalled.addListener(() => {
    void browser.storage.local.remove(['selectorOverrides:zendesk', 'selectorOverrides:freshdesk', 'selectorOverrides:helpscout']);
  });
  self.addEventListener('online', () => void engine.sync());
  // Whatever an earlier worker left queued goes out as soon as this one starts (once any policy
  // a fresh install is waiting for is in place); a policy change may bring a server or token.
  void policySettled.then(() => engine.sync());
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'managed') scheduleSync();
    // A new server or token (the agent's options or the policy) has its own experiments.
    if (area === 'managed' || (area === 'local' && 'settings' in changes)) void orgConfig.poll();
  });
});
