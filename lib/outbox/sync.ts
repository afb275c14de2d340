import { EventBatchResponse, MAX_BODY_BYTES, type SyncStatus } from '../contract';
import { eventBytes, type DeliveredReceipt, type OutboxDb, type QuarantinedEvent, type QueuedEvent } from './db';
import { isQuotaError, pruneOldestDelivered, STORAGE_UNAVAILABLE, tidyDelivered, type StorageEstimate } from './storage';

export interface SyncTarget {
  serverUrl: string;
  token: string;
}

export interface SyncOptions {
  /** Where and as whom to send; null when the extension is not configured yet. */
  target: () => Promise<SyncTarget | null>;
  fetch?: typeof fetch;
  batchSize?: number;
  /** Request bodies stay under this, well below the server's limit. */
  batchBytes?: number;
  timeoutMs?: number;
  now?: () => number;
  random?: () => number;
  /** The origin's storage use; the browser's own estimate by default. */
  estimate?: () => Promise<StorageEstimate>;
  /** Why the browser's earlier outbox is gone, when it deleted it (lib/outbox/lost.ts); none by default. */
  storageLost?: () => Promise<string | null>;
}

const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Exponential backoff with full jitter, or the server's Retry-After when it gave one. */
export function backoffMs(attempts: number, retryAfterMs: number | null, random: () => number): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, MAX_BACKOFF_MS);
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function parseRetryAfter(header: string | null, now: number): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/**
 * Delivers the outbox to `POST /v1/events`. Accepted and duplicate events are deleted, rejected ones
 * quarantined with the server's reason, and transient failures retried later with backoff. Delivery
 * is at least once; the event id makes the server's effect exactly once.
 */
export function createSyncEngine(db: OutboxDb, options: SyncOptions) {
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const batchSize = options.batchSize ?? 500;
  const batchBytes = options.batchBytes ?? Math.floor(MAX_BODY_BYTES / 2);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let running: Promise<SyncStatus> | null = null;

  async function setMeta(lastError: string | null, synced: boolean) {
    await db.meta.put({ key: 'lastError', value: lastError });
    if (synced) await db.meta.put({ key: 'lastSyncAt', value: new Date(now()).toISOString() });
  }

  async function nextBatch(force: boolean, attempted: Set<string>): Promise<QueuedEvent[]> {
    const dueBy = now();
    const batch: QueuedEvent[] = [];
    let bytes = 0;
    let full = false;
    // Walks the queue oldest first and stops at a full batch, so a long queue is not read whole for
    // every batch. Each event is sent at most once per run, so a run always ends.
    await db.outbox
      .orderBy('queuedAt')
      .until(() => full)
      .each((item) => {
        if (attempted.has(item.id) || (item.heldUntil ?? 0) > dueBy || (!force && item.nextAttemptAt > dueBy)) return;
        // Rows queued before v2 of the schema were sized by its upgrade; `??` guards a half-read row.
        const size = item.bytes ?? eventBytes(item.event);
        if (batch.length > 0 && (batch.length >= batchSize || bytes + size > batchBytes)) {
          full = true;
          return;
        }
        batch.push(item);
        bytes += size;
      });
    return batch;
  }

  async function send(target: SyncTarget, batch: QueuedEvent[]): Promise<void> {
    let response: Response;
    try {
      response = await doFetch(new URL('/v1/events', target.serverUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
        body: JSON.stringify({ events: batch.map((item) => item.event) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new TransientError(`server unreachable: ${(err as Error).message}`);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientError(`server answered ${response.status}`, parseRetryAfter(response.headers.get('retry-after'), now()));
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      // 401/403 and envelope errors are about the setup, not the events: keep them queued.
      throw new Error(`server answered ${response.status}: ${body.error ?? response.statusText}`);
    }
    const { results } = EventBatchResponse.parse(await response.json());
    const byId = new Map(results.map((r) => [r.id, r]));
    const delivered: string[] = [];
    const rejected: QuarantinedEvent[] = [];
    const receipts: DeliveredReceipt[] = [];
    const unanswered: QueuedEvent[] = [];
    for (const item of batch) {
      const result = byId.get(item.id);
      if (!result) unanswered.push(item);
      else {
        delivered.push(item.id);
        if (result.status === 'rejected') rejected.push({ id: item.id, event: item.event, reason: result.error ?? 'rejected', quarantinedAt: now() });
        else receipts.push({ id: item.id, type: item.event.type, ticketId: item.event.ticketId, status: result.status, deliveredAt: now() });
      }
    }
    const settle = (withReceipts: boolean) =>
      db.transaction('rw', db.outbox, db.quarantine, db.delivered, async () => {
        await db.quarantine.bulkPut(rejected);
        await db.outbox.bulkDelete(delivered);
        if (withReceipts) await db.delivered.bulkPut(receipts);
        // Not answered: stays queued and is sent again later, after a backoff like any failure.
        for (const item of unanswered) {
          const attempts = item.attempts + 1;
          await db.outbox.update(item.id, { attempts, nextAttemptAt: now() + backoffMs(attempts, null, random) });
        }
      });
    try {
      await settle(true);
    } catch (err) {
      if (!isQuotaError(err)) throw err;
      // A receipt that cannot be written must not hold the queue back: settle without them.
      await settle(false);
      await pruneOldestDelivered(db, receipts.length);
    }
  }

  async function postpone(batch: QueuedEvent[], retryAfterMs: number | null) {
    await db.transaction('rw', db.outbox, async () => {
      for (const item of batch) {
        const attempts = item.attempts + 1;
        await db.outbox.update(item.id, { attempts, nextAttemptAt: now() + backoffMs(attempts, retryAfterMs, random) });
      }
    });
  }

  async function run(force: boolean): Promise<SyncStatus> {
    const attempted = new Set<string>();
    const target = await options.target();
    if (!target) {
      await setMeta('not configured: set the server URL and token in the options', false);
      return status();
    }
    for (;;) {
      const batch = await nextBatch(force, attempted);
      for (const item of batch) attempted.add(item.id);
      if (batch.length === 0) {
        await setMeta(null, true);
        await tidyDelivered(db, now(), options.estimate);
        break;
      }
      try {
        await send(target, batch);
      } catch (err) {
        if (err instanceof TransientError) await postpone(batch, err.retryAfterMs);
        await setMeta((err as Error).message, false);
        break;
      }
    }
    return status();
  }

  /** A database the full disk keeps closed is reported as such, not as a raw I/O error. */
  function storageFailure(err: unknown): never {
    throw isQuotaError(err) ? new Error(STORAGE_UNAVAILABLE) : err;
  }

  function status(): Promise<SyncStatus> {
    return readStatus().catch(storageFailure);
  }

  async function readStatus(): Promise<SyncStatus> {
    const [queued, quarantined, delivered, lastSyncAt, lastError, storageProblem, storageLost] = await Promise.all([
      db.outbox.count(),
      db.quarantine.count(),
      db.delivered.count(),
      db.meta.get('lastSyncAt'),
      db.meta.get('lastError'),
      db.meta.get('storageProblem'),
      options.storageLost?.() ?? null,
    ]);
    return {
      queued,
      quarantined,
      delivered,
      lastSyncAt: lastSyncAt?.value ?? null,
      lastError: lastError?.value ?? null,
      storageProblem: storageProblem?.value ?? null,
      storageLost,
    };
  }

  return {
    /**
     * Runs one sync; a call while one runs joins it, so two syncs never overlap. `force` (the
     * agent's "Sync now") also sends events still waiting out their backoff.
     */
    sync(options: { force?: boolean } = {}): Promise<SyncStatus> {
      running ??= run(options.force ?? false).catch(storageFailure).finally(() => {
        running = null;
      });
      return running;
    },
    status,
  };
}

export type SyncEngine = ReturnType<typeof createSyncEngine>;
