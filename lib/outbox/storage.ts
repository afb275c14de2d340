import type Dexie from 'dexie';
import type { AnnotationEvent } from '../contract';
import { enqueue, type OutboxDb } from './db';

/** Receipts older than this are dropped after a sync; the server is the record. */
export const RECEIPT_MAX_AGE_MS = 7 * 24 * 60 * 60_000;
/** At most this many receipts are kept, newest first. */
export const RECEIPT_MAX_COUNT = 20_000;
/** Above this share of the origin's quota, delivered data is pruned before it is needed. */
export const PRESSURE_RATIO = 0.8;
/** How many rows one pruning step removes. */
const PRUNE_STEP = 500;

/** Raised when an event cannot be stored even with every delivered record pruned. */
export class StorageFullError extends Error {
  constructor() {
    super(
      "Loopdesk's storage in this browser is full: this annotation could not be saved. Free disk space or sync the queued events, then try again.",
    );
    this.name = 'StorageFullError';
  }
}

/**
 * How Chromium reports a full disk other than as a QuotaExceededError: a write whose LevelDB file
 * cannot grow fails with `UnknownError` "… IO error: …/000005.ldb: FILE_ERROR_NO_SPACE …" and closes
 * the connection (measured with Chromium 156 on a full tmpfs; the reopen then fails with
 * QuotaExceededError "Encountered full disk while opening backing store").
 */
const DISK_FULL_MESSAGE = /FILE_ERROR_NO_SPACE|No space left on device/;

/**
 * Whether an IndexedDB failure (possibly wrapped by Dexie, or inside a bulk error) means the browser
 * has no room to store: a QuotaExceededError, or Chromium's I/O error for a full disk.
 */
export function isQuotaError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const x = e as { name?: string; message?: unknown; inner?: unknown; failures?: unknown[] };
    if (x.name === 'QuotaExceededError') return true;
    if (x.name === 'UnknownError' && typeof x.message === 'string' && DISK_FULL_MESSAGE.test(x.message)) return true;
    return visit(x.inner) || (Array.isArray(x.failures) && x.failures.some(visit));
  };
  return visit(err);
}

/**
 * After Chromium closes the connection on a full disk, reopening fails until space is freed, and
 * Dexie then keeps rejecting every operation with that first failure for the life of the worker.
 * This clears the failed state so that the next operation opens the database again. Returns
 * whether there was one to clear.
 */
export function reopenAfterFailedOpen(db: Dexie): boolean {
  if (!db.hasFailed()) return false;
  db.close({ disableAutoOpen: false });
  return true;
}

/** Prunes one step, counting a prune the full disk itself refuses as nothing pruned. */
async function pruneStep(db: OutboxDb): Promise<number> {
  try {
    return await pruneOldestDelivered(db);
  } catch (err) {
    if (isQuotaError(err)) return 0;
    throw err;
  }
}

/**
 * Removes up to `count` of the oldest delivered records: receipts first, then per-ticket memory.
 * Undelivered events (the queue and the quarantine) are never pruned. Returns how many went.
 */
export async function pruneOldestDelivered(db: OutboxDb, count = PRUNE_STEP): Promise<number> {
  return db.transaction('rw', db.delivered, db.ticketMemory, async () => {
    const receipts = await db.delivered.orderBy('deliveredAt').limit(count).primaryKeys();
    await db.delivered.bulkDelete(receipts);
    const rest = count - receipts.length;
    if (rest <= 0) return receipts.length;
    const memories = await db.ticketMemory.orderBy('updatedAt').limit(rest).primaryKeys();
    await db.ticketMemory.bulkDelete(memories);
    return receipts.length + memories.length;
  });
}

/** What the popup shows when the outbox cannot even be opened for lack of space. */
export const STORAGE_UNAVAILABLE =
  "Loopdesk's storage in this browser is full: the outbox cannot be opened, so new feedback cannot be saved. Free disk space; queued events are sent once it opens again.";

/** Whether a storage problem is recorded in the database's meta table, once known. */
const storageProblemKnown = new WeakMap<OutboxDb, boolean>();

/**
 * Runs a write, and when the browser refuses it for lack of space, prunes the oldest delivered
 * data step by step and tries again. When nothing is left to prune, the problem is remembered for
 * the popup and a StorageFullError tells the caller (and through it the agent).
 */
export async function writeWithRoom<T>(db: OutboxDb, write: () => Promise<T>): Promise<T> {
  let abortRetried = false;
  for (;;) {
    try {
      const result = await write();
      // Read once per database, then known: every event write passes here.
      let problem = storageProblemKnown.get(db);
      if (problem === undefined) problem = Boolean((await db.meta.get('storageProblem'))?.value);
      if (problem) await db.meta.put({ key: 'storageProblem', value: null });
      storageProblemKnown.set(db, false);
      return result;
    } catch (err) {
      // When Chromium's disk fills mid-write, the request may only report that its transaction was
      // aborted (the I/O error goes to the transaction) while the browser closes the connection:
      // such a write is tried once more on a new connection (a transaction on the closing one
      // never settles), and the retry meets the full disk again as a quota error or succeeds.
      if ((err as { name?: string } | null)?.name === 'AbortError' && !abortRetried) {
        abortRetried = true;
        db.close({ disableAutoOpen: false });
        continue;
      }
      if (!isQuotaError(err)) throw err;
      reopenAfterFailedOpen(db);
      if ((await pruneStep(db)) === 0) {
        reopenAfterFailedOpen(db);
        const full = new StorageFullError();
        await db.meta.put({ key: 'storageProblem', value: full.message }).catch(() => {});
        storageProblemKnown.set(db, true);
        throw full;
      }
    }
  }
}

/** Queues an event, making room by pruning delivered data if the browser's quota is reached. */
export function enqueueWithRoom(db: OutboxDb, event: AnnotationEvent, holdMs = 0): Promise<void> {
  return writeWithRoom(db, () => enqueue(db, event, holdMs));
}

export interface StorageEstimate {
  usage?: number;
  quota?: number;
}

/**
 * Keeps delivered data within its retention, and under storage pressure (usage above
 * PRESSURE_RATIO of the quota) prunes the oldest half of it before any write can fail.
 */
export async function tidyDelivered(
  db: OutboxDb,
  now: number,
  estimate: () => Promise<StorageEstimate> = () => navigator.storage?.estimate?.() ?? Promise.resolve({}),
): Promise<void> {
  await db.delivered.where('deliveredAt').below(now - RECEIPT_MAX_AGE_MS).delete();
  const count = await db.delivered.count();
  if (count > RECEIPT_MAX_COUNT) await pruneOldestDelivered(db, count - RECEIPT_MAX_COUNT);
  const { usage, quota } = await estimate().catch((): StorageEstimate => ({}));
  if (usage !== undefined && quota && usage / quota > PRESSURE_RATIO) {
    const total = (await db.delivered.count()) + (await db.ticketMemory.count());
    if (total > 0) await pruneOldestDelivered(db, Math.ceil(total / 2));
  }
}
