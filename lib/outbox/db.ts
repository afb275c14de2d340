import Dexie, { type DexieOptions, type EntityTable, type Transaction } from 'dexie';
import type { AdoptionRationale, AnnotationEvent } from '../contract';

/** An event waiting for the server. */
export interface QueuedEvent {
  id: string;
  event: AnnotationEvent;
  queuedAt: number;
  attempts: number;
  /** Not sent again before this time (backoff); 0 means now. */
  nextAttemptAt: number;
  /** Size of the event as sent (JSON characters), so batches are bounded without serialising twice. */
  bytes: number;
  /** Not sent before this time even by a forced sync: the agent may still amend it. */
  heldUntil?: number;
}

/** An event the server rejected, kept for the agent to inspect, retry or discard. */
export interface QuarantinedEvent {
  id: string;
  event: AnnotationEvent;
  reason: string;
  quarantinedAt: number;
}

/**
 * A receipt for an event the server stored: what the popup counts as delivered. Receipts are the
 * first thing pruned when storage runs short, since the server already holds the event itself.
 */
export interface DeliveredReceipt {
  id: string;
  type: AnnotationEvent['type'];
  ticketId: string;
  status: 'accepted' | 'duplicate';
  deliveredAt: number;
}

/** What the overlay remembers about a ticket across page loads (e.g. a rationale already given). */
export interface TicketMemory {
  key: string;
  rationaleDone: boolean;
  updatedAt: number;
}

export interface MetaEntry {
  key: 'lastSyncAt' | 'lastError' | 'storageProblem';
  value: string | null;
}

export type OutboxDb = Dexie & {
  outbox: EntityTable<QueuedEvent, 'id'>;
  quarantine: EntityTable<QuarantinedEvent, 'id'>;
  delivered: EntityTable<DeliveredReceipt, 'id'>;
  ticketMemory: EntityTable<TicketMemory, 'key'>;
  meta: EntityTable<MetaEntry, 'key'>;
};

export const OUTBOX_DB_NAME = 'loopdesk';

/** The size the sync engine counts for an event: its JSON plus the separating comma. */
export const eventBytes = (event: AnnotationEvent) => JSON.stringify(event).length + 1;

/**
 * The extension's IndexedDB. Every schema change gets a new version with an upgrade function, so
 * events queued by an older build survive an update. Versions are never edited once released.
 */
export function openOutboxDb(name = OUTBOX_DB_NAME, options?: DexieOptions, hooks: { onCreated?: () => Promise<void> } = {}): OutboxDb {
  const db = new Dexie(name, options) as OutboxDb;
  // The database did not exist: a new install, or one the browser deleted (lib/outbox/lost.ts).
  if (hooks.onCreated) db.on('populate', () => void hooks.onCreated!().catch(() => {}));
  // v1 (0.1.0, the walking skeleton): the queue, the quarantine and sync metadata.
  db.version(1).stores({
    outbox: 'id, queuedAt, nextAttemptAt',
    quarantine: 'id, quarantinedAt',
    meta: 'key',
  });
  // v2: receipts of delivered events and per-ticket memory, both prunable under storage pressure;
  // queued events gain their size.
  db.version(2)
    .stores({
      delivered: 'id, deliveredAt',
      ticketMemory: 'key, updatedAt',
    })
    .upgrade(addEventSizes);
  return db;
}

/** v1 → v2: every event still queued gets its size; nothing queued is dropped or re-timed. */
async function addEventSizes(tx: Transaction): Promise<void> {
  await tx
    .table<QueuedEvent, string>('outbox')
    .toCollection()
    .modify((item) => {
      item.bytes = eventBytes(item.event);
    });
}

/**
 * Writes the event to the outbox before anything else happens with it. Idempotent by id. A held
 * event is safe on disk at once but waits `holdMs` before it may be sent.
 */
export async function enqueue(db: OutboxDb, event: AnnotationEvent, holdMs = 0, now = Date.now()): Promise<void> {
  await db.outbox.put({
    id: event.id,
    event,
    queuedAt: now,
    attempts: 0,
    nextAttemptAt: 0,
    bytes: eventBytes(event),
    ...(holdMs > 0 ? { heldUntil: now + holdMs } : {}),
  });
}

/**
 * Adds the agent's rationale to a held adoption event and releases it for sending. Events are
 * immutable once sent, so this only succeeds while the hold lasts; false otherwise.
 */
export async function amendRationale(db: OutboxDb, id: string, rationale: AdoptionRationale, now = Date.now()): Promise<boolean> {
  return db.transaction('rw', db.outbox, async () => {
    const item = await db.outbox.get(id);
    if (!item || item.event.type !== 'adoption' || !(item.heldUntil && item.heldUntil > now)) return false;
    const event = { ...item.event, rationale };
    await db.outbox.put({ ...item, event, bytes: eventBytes(event), heldUntil: 0 });
    return true;
  });
}
