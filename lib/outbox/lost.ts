import { storage } from 'wxt/utils/storage';

/**
 * Noticing that the browser deleted the outbox. On a full disk Chromium may delete an extension's
 * whole IndexedDB database, queued events included, without telling the extension (see the README's
 * storage-pressure section, measured with scripts/full-disk-probe.ts). IndexedDB cannot remember
 * that it was deleted, so the proof lives in `storage.local`, which is stored elsewhere: the moment
 * the outbox was first created. An outbox created again while that moment is on record was deleted
 * in between, and the agent is told until they dismiss it.
 */
const createdAtItem = storage.defineItem<string | null>('local:outboxCreatedAt', { fallback: null });
const lostItem = storage.defineItem<{ detectedAt: string; createdAt: string } | null>('local:outboxLost', { fallback: null });

/** Called when the outbox database is created (Dexie's `populate`): the first time, or again after a deletion. */
export async function noteOutboxCreated(now = new Date()): Promise<void> {
  const createdAt = await createdAtItem.getValue();
  if (createdAt) await lostItem.setValue({ detectedAt: now.toISOString(), createdAt });
  await createdAtItem.setValue(now.toISOString());
}

/** What the popup says while a deletion is on record; null otherwise. */
export async function outboxLostMessage(): Promise<string | null> {
  const lost = await lostItem.getValue();
  if (!lost) return null;
  const when = new Date(lost.detectedAt).toLocaleString();
  return (
    `The browser deleted Loopdesk's local storage (noticed ${when}), most likely because the disk was full. ` +
    'Feedback recorded before then that had not reached the server yet is lost. Free some disk space; new feedback is kept again.'
  );
}

export async function dismissOutboxLost(): Promise<void> {
  await lostItem.setValue(null);
}
