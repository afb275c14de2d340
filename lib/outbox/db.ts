import Dexie, { type EntityTable } from 'dexie';
import type { AnnotationEvent } from '../contract';

/** An event waiting for the server. */
export interface QueuedEvent {
  id: string;
  event: AnnotationEvent;
  queuedAt: number;
  attempts: number;
  /** Not sent again before this time (backoff); 0 means now. */
  nextAttemptAt: number;
}

/** An event the server rejected, kept for the agent to inspect, retry or discard. */
export interface QuarantinedEvent {
  id: string;
  event: AnnotationEvent;
  reason: string;
  quarantinedAt: number;
}

export interface MetaEntry {
  key: 'lastSyncAt' | 'lastError';
  value: string | null;
}

export type OutboxDb = Dexie & {
  outbox: EntityTable<QueuedEvent, 'id'>;
  quarantine: EntityTable<QuarantinedEvent, 'id'>;
  meta: EntityTable<MetaEntry, 'key'>;
};

/**
 * The extension's IndexedDB. Every schema change gets a new version with an upgrade function, so
 * events queued by an older build survive an update.
 */
export function openOutboxDb(name = 'loopdesk'): OutboxDb {
  const db = new Dexie(name) as OutboxDb;
  db.version(1).stores({
    outbox: 'id, queuedAt, nextAttemptAt',
    quarantine: 'id, quarantinedAt',
    meta: 'key',
  });
  return db;
}

/** Writes the event to the outbox before anything else happens with it. Idempotent by id. */
export async function enqueue(db: OutboxDb, event: AnnotationEvent): Promise<void> {
  await db.outbox.put({ id: event.id, event, queuedAt: Date.now(), attempts: 0, nextAttemptAt: 0 });
}
