import type { QuarantineEntry } from '../contract';
import { eventBytes, type OutboxDb } from './db';

/** Quarantined events for the popup, newest first, with the event as readable JSON. */
export async function listQuarantine(db: OutboxDb): Promise<QuarantineEntry[]> {
  const items = await db.quarantine.orderBy('quarantinedAt').reverse().toArray();
  return items.map((item) => ({
    id: item.id,
    type: item.event.type,
    ticketId: item.event.ticketId,
    reason: item.reason,
    quarantinedAt: new Date(item.quarantinedAt).toISOString(),
    eventJson: JSON.stringify(item.event, null, 2),
  }));
}

/**
 * Puts a quarantined event back in the outbox as if new, so the next sync sends it at once. One
 * transaction, so the event is never in both tables or in neither. False when it is not quarantined.
 */
export async function retryQuarantined(db: OutboxDb, id: string): Promise<boolean> {
  return db.transaction('rw', db.outbox, db.quarantine, async () => {
    const item = await db.quarantine.get(id);
    if (!item) return false;
    await db.outbox.put({ id: item.id, event: item.event, queuedAt: Date.now(), attempts: 0, nextAttemptAt: 0, bytes: eventBytes(item.event) });
    await db.quarantine.delete(id);
    return true;
  });
}

/** Drops a quarantined event for good. False when it is not quarantined. */
export async function discardQuarantined(db: OutboxDb, id: string): Promise<boolean> {
  return db.transaction('rw', db.quarantine, async () => {
    if (!(await db.quarantine.get(id))) return false;
    await db.quarantine.delete(id);
    return true;
  });
}
