import 'fake-indexeddb/auto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Dexie from 'dexie';
import { AnnotationEvent } from '../../lib/contract';
import { amendRationale, enqueue, eventBytes, openOutboxDb, type DeliveredReceipt, type OutboxDb } from '../../lib/outbox/db';
import { enqueueWithRoom, isQuotaError, RECEIPT_MAX_AGE_MS, reopenAfterFailedOpen, STORAGE_UNAVAILABLE, StorageFullError, tidyDelivered } from '../../lib/outbox/storage';
import { backoffMs, createSyncEngine } from '../../lib/outbox/sync';
import { sampleEvent } from '../support/events';

const SUGGESTION = '0195f1a2-0000-4000-8000-000000000000';

/** A stand-in for /v1/events over real HTTP whose answers each test scripts. */
let respond: (events: { id: string }[], res: ServerResponse) => void;
const received: string[][] = [];
let http: Server;
let url: string;

beforeAll(async () => {
  http = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { events } = JSON.parse(body) as { events: { id: string }[] };
      received.push(events.map((e) => e.id));
      respond(events, res);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => http.close(resolve)));

let db: OutboxDb;
let clock = 1_000_000;
beforeEach(async () => {
  db = openOutboxDb(`outbox-${Math.random()}`);
  received.length = 0;
  clock = 1_000_000;
});

const engineFor = (db: OutboxDb, batchSize = 200) =>
  createSyncEngine(db, { target: async () => ({ serverUrl: url, token: 't' }), batchSize, now: () => clock, random: () => 0.5 });

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

async function queue(n: number) {
  const events = Array.from({ length: n }, () => AnnotationEvent.parse(sampleEvent('knowledge.relevance', SUGGESTION)));
  for (const e of events) await enqueue(db, e);
  return events;
}

describe('outbox sync', () => {
  it('deletes accepted and duplicate events and quarantines rejected ones with the reason', async () => {
    const events = await queue(3);
    respond = (batch, res) =>
      json(res, 200, {
        results: batch.map((e, i) =>
          i === 2 ? { id: e.id, status: 'rejected', error: 'events[2].label: Invalid option' } : { id: e.id, status: i === 0 ? 'accepted' : 'duplicate' },
        ),
      });
    const status = await engineFor(db).sync();
    expect(status).toMatchObject({ queued: 0, quarantined: 1, lastError: null });
    const [quarantined] = await db.quarantine.toArray();
    expect(quarantined).toMatchObject({ id: events[2]!.id, reason: 'events[2].label: Invalid option' });
  });

  it('backs off events the server left unanswered instead of resending them at once', async () => {
    await queue(2);
    respond = (batch, res) => json(res, 200, { results: [{ id: batch[0]!.id, status: 'accepted' }] });
    const status = await engineFor(db).sync({ force: true });
    expect(status.queued).toBe(1);
    expect(received).toHaveLength(1);
    const [left] = await db.outbox.toArray();
    expect(left!.nextAttemptAt).toBeGreaterThan(clock);
  });

  it('sends in bounded batches, oldest first', async () => {
    const events = await queue(5);
    respond = (batch, res) => json(res, 200, { results: batch.map((e) => ({ id: e.id, status: 'accepted' })) });
    await engineFor(db, 2).sync();
    expect(received.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(received.flat()).toEqual(events.map((e) => e.id));
  });

  it('keeps events queued on 5xx and 429, waiting as long as Retry-After says', async () => {
    await queue(2);
    respond = (_batch, res) => json(res, 429, { error: 'slow down' }, { 'retry-after': '7' });
    const status = await engineFor(db).sync();
    expect(status.queued).toBe(2);
    expect(status.lastError).toBe('server answered 429');
    const items = await db.outbox.toArray();
    expect(items.every((i) => i.attempts === 1 && i.nextAttemptAt === clock + 7_000)).toBe(true);
    // Not yet due: nothing is sent.
    await engineFor(db).sync();
    expect(received).toHaveLength(1);
    clock += 7_000;
    respond = (batch, res) => json(res, 200, { results: batch.map((e) => ({ id: e.id, status: 'accepted' })) });
    expect((await engineFor(db).sync()).queued).toBe(0);
  });

  it('sends events still in backoff when the agent forces a sync', async () => {
    await queue(1);
    respond = (_batch, res) => json(res, 503, { error: 'down' });
    await engineFor(db).sync();
    respond = (batch, res) => json(res, 200, { results: batch.map((e) => ({ id: e.id, status: 'accepted' })) });
    expect((await engineFor(db).sync()).queued).toBe(1); // still backing off
    expect((await engineFor(db).sync({ force: true })).queued).toBe(0);
  });

  it('keeps events queued when the server is unreachable, and never runs two syncs at once', async () => {
    await queue(1);
    const unreachable = createSyncEngine(db, { target: async () => ({ serverUrl: 'http://127.0.0.1:9', token: 't' }), now: () => clock });
    const [a, b] = [unreachable.sync(), unreachable.sync()];
    expect(a).toBe(b);
    const status = await a;
    expect(status.queued).toBe(1);
    expect(status.lastError).toMatch(/^server unreachable/);
  });

  it('backs off exponentially with jitter, capped at five minutes', () => {
    expect(backoffMs(1, null, () => 0)).toBe(1_000);
    expect(backoffMs(3, null, () => 1)).toBe(8_000);
    expect(backoffMs(30, null, () => 1)).toBe(300_000);
    expect(backoffMs(1, 42_000, () => 0)).toBe(42_000);
  });
});

const acceptAll = (batch: { id: string }[], res: ServerResponse) =>
  json(res, 200, { results: batch.map((e) => ({ id: e.id, status: 'accepted' })) });

describe('outbox schema upgrades', () => {
  it('keeps every event queued by the v1 schema when the extension updates to v2, and still delivers them', async () => {
    const name = `outbox-v1-${Math.random()}`;
    // The skeleton's database exactly as version 0.1.0 created and filled it.
    const v1 = new Dexie(name);
    v1.version(1).stores({ outbox: 'id, queuedAt, nextAttemptAt', quarantine: 'id, quarantinedAt', meta: 'key' });
    const events = Array.from({ length: 300 }, () => AnnotationEvent.parse(sampleEvent('preference', SUGGESTION)));
    await v1.table('outbox').bulkAdd(events.map((event, i) => ({ id: event.id, event, queuedAt: 5_000 + i, attempts: i % 3, nextAttemptAt: 0 })));
    await v1.table('quarantine').add({ id: 'q1', event: events[0], reason: 'bad', quarantinedAt: 1 });
    await v1.table('meta').put({ key: 'lastSyncAt', value: '2026-11-01T00:00:00.000Z' });
    v1.close();

    const upgraded = openOutboxDb(name);
    const rows = await upgraded.outbox.orderBy('queuedAt').toArray();
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(rows.every((r, i) => r.bytes === eventBytes(events[i]!) && r.queuedAt === 5_000 + i && r.attempts === i % 3)).toBe(true);
    expect(await upgraded.quarantine.count()).toBe(1);
    expect((await upgraded.meta.get('lastSyncAt'))?.value).toBe('2026-11-01T00:00:00.000Z');
    expect(upgraded.verno).toBe(2);

    respond = acceptAll;
    const status = await engineFor(upgraded, 500).sync();
    expect(status).toMatchObject({ queued: 0, quarantined: 1, delivered: 300 });
    expect(received.flat().sort()).toEqual(events.map((e) => e.id).sort());
  });
});

describe('storage quota', () => {
  /**
   * Makes the browser's quota small and observable: writes that would take the database past
   * `maxRows` rows fail with the same QuotaExceededError IndexedDB raises.
   */
  function limitRows(db: OutboxDb, maxRows: number) {
    const rows = async () => (await db.outbox.count()) + (await db.delivered.count()) + (await db.ticketMemory.count()) + (await db.quarantine.count());
    const put = db.outbox.put.bind(db.outbox);
    db.outbox.put = (async (...args: Parameters<typeof put>) => {
      if ((await rows()) >= maxRows) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put(...args);
    }) as typeof put;
  }

  const receipt = (i: number): DeliveredReceipt => ({ id: `r${i}`, type: 'preference', ticketId: '1', status: 'accepted', deliveredAt: 10_000 + i });

  it('prunes the oldest delivered receipts first to make room for new events', async () => {
    await db.delivered.bulkAdd(Array.from({ length: 1_200 }, (_, i) => receipt(i)));
    limitRows(db, 1_250);
    const events = Array.from({ length: 200 }, () => AnnotationEvent.parse(sampleEvent('knowledge.relevance', SUGGESTION)));
    for (const event of events) await enqueueWithRoom(db, event);
    expect(await db.outbox.count()).toBe(200);
    const kept = await db.delivered.orderBy('deliveredAt').primaryKeys();
    // The 51st event found the quota full: one pruning step removed the 500 oldest receipts.
    expect(kept).toEqual(Array.from({ length: 700 }, (_, i) => `r${500 + i}`));
    expect((await engineFor(db).status()).storageProblem).toBeNull();
  });

  it('tells the agent when an undelivered event cannot be kept, loses nothing already queued, and recovers after a sync', async () => {
    const queued = await queue(50);
    limitRows(db, 50);
    const extra = AnnotationEvent.parse(sampleEvent('knowledge.missing', SUGGESTION));
    await expect(enqueueWithRoom(db, extra)).rejects.toBeInstanceOf(StorageFullError);
    await expect(enqueueWithRoom(db, extra)).rejects.toThrow(/storage in this browser is full/);
    let status = await engineFor(db).status();
    expect(status.queued).toBe(50);
    expect(status.storageProblem).toMatch(/could not be saved/);

    respond = acceptAll;
    status = await engineFor(db).sync();
    expect(received.flat().sort()).toEqual(queued.map((e) => e.id).sort());
    // Receipts count as delivered data: the next write prunes them to make room and succeeds.
    await enqueueWithRoom(db, extra);
    status = await engineFor(db).status();
    expect(status).toMatchObject({ queued: 1, storageProblem: null });
  });

  /** What Chromium 156 raised on a full disk (tmpfs), write first and reopen after. */
  const diskFullWrite = () =>
    new DOMException(
      'Connection is closing because of: IO error: .../chrome-extension_x_0.indexeddb.leveldb/000005.ldb: FILE_ERROR_NO_SPACE (ChromeMethodBFE: 3::WritableFileAppend::8)',
      'UnknownError',
    );
  const diskFullOpen = () => new DOMException('Encountered full disk while opening backing store for indexedDB.open.', 'QuotaExceededError');

  it("counts Chromium's full-disk I/O error as storage pressure, and no other unknown error", () => {
    expect(isQuotaError(diskFullWrite())).toBe(true);
    expect(isQuotaError(new Dexie.UnknownError('wrapped', diskFullWrite()))).toBe(true);
    expect(isQuotaError(diskFullOpen())).toBe(true);
    expect(isQuotaError(new DOMException('Connection is closing because of: IO error: .../000005.ldb: Corruption', 'UnknownError'))).toBe(false);
    expect(isQuotaError(new DOMException('FILE_ERROR_NO_SPACE', 'AbortError'))).toBe(false);
    expect(isQuotaError(new Error('FILE_ERROR_NO_SPACE'))).toBe(false);
  });

  it('tells the agent, not a raw I/O error, when the full disk refuses the write and the pruning too', async () => {
    await db.delivered.bulkAdd(Array.from({ length: 10 }, (_, i) => receipt(i)));
    db.outbox.put = (async () => {
      throw diskFullWrite();
    }) as unknown as typeof db.outbox.put;
    // Chromium closes the connection after the I/O error; every reopen then fails while the disk is full.
    db.transaction = (async () => {
      throw diskFullOpen();
    }) as unknown as typeof db.transaction;
    const extra = AnnotationEvent.parse(sampleEvent('knowledge.missing', SUGGESTION));
    await expect(enqueueWithRoom(db, extra)).rejects.toBeInstanceOf(StorageFullError);
  });

  it('tries a write the browser aborted once more, and reports the full disk the retry meets', async () => {
    const put = db.outbox.put.bind(db.outbox);
    const failures = [new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'AbortError')];
    db.outbox.put = (async (...args: Parameters<typeof put>) => {
      const failure = failures.shift();
      if (failure) throw failure;
      return put(...args);
    }) as unknown as typeof put;
    const first = AnnotationEvent.parse(sampleEvent('preference', SUGGESTION));
    await enqueueWithRoom(db, first);
    expect(await db.outbox.get(first.id)).toBeTruthy();

    failures.push(new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'AbortError'), diskFullWrite());
    await expect(enqueueWithRoom(db, AnnotationEvent.parse(sampleEvent('preference', SUGGESTION)))).rejects.toBeInstanceOf(StorageFullError);
    // An abort that persists is not taken for a full disk.
    failures.push(...Array.from({ length: 2 }, () => new DOMException('aborted', 'AbortError')));
    await expect(enqueueWithRoom(db, AnnotationEvent.parse(sampleEvent('preference', SUGGESTION)))).rejects.toThrow('aborted');
    expect(await db.outbox.count()).toBe(1);
  });

  it('opens the outbox again once the disk has room, after an open the full disk refused', async () => {
    const name = `outbox-${Math.random()}`;
    const seed = openOutboxDb(name);
    const queued = AnnotationEvent.parse(sampleEvent('preference', SUGGESTION));
    await enqueue(seed, queued);
    seed.close();
    // indexedDB.open fails as Chromium's does while the disk is full, until `diskFull` is cleared.
    let diskFull = true;
    const flaky = new Proxy(indexedDB, {
      get(target, key) {
        if (key !== 'open') return Reflect.get(target, key);
        return (...args: Parameters<IDBFactory['open']>) => {
          if (!diskFull) return target.open(...args);
          const request = {} as IDBOpenDBRequest & { error: DOMException };
          Object.defineProperty(request, 'error', { value: diskFullOpen() });
          setTimeout(() => request.onerror?.({ type: 'error', target: request, preventDefault() {}, stopPropagation() {} } as never), 0);
          return request;
        };
      },
    });
    const full = openOutboxDb(name, { indexedDB: flaky, IDBKeyRange });
    const engine = createSyncEngine(full, { target: async () => null });
    await expect(engine.status()).rejects.toThrow(STORAGE_UNAVAILABLE);
    diskFull = false;
    // Dexie keeps the first open failure for good...
    await expect(full.outbox.count()).rejects.toThrow(/full disk/);
    // ...until it is cleared; then the next operation opens the database and finds the queue intact.
    expect(reopenAfterFailedOpen(full)).toBe(true);
    expect(await engine.status()).toMatchObject({ queued: 1, storageProblem: null });
    expect(reopenAfterFailedOpen(full)).toBe(false);
  });

  it('drops receipts past their retention, and half of them under storage pressure', async () => {
    const now = 10_000 + RECEIPT_MAX_AGE_MS;
    await db.delivered.bulkAdd(Array.from({ length: 100 }, (_, i) => receipt(i)));
    await tidyDelivered(db, now + 50, async () => ({ usage: 10, quota: 100 }));
    expect(await db.delivered.count()).toBe(50); // the 50 older than a week
    await tidyDelivered(db, now + 50, async () => ({ usage: 90, quota: 100 }));
    expect(await db.delivered.orderBy('deliveredAt').primaryKeys()).toEqual(Array.from({ length: 25 }, (_, i) => `r${75 + i}`));
  });
});

describe('held adoption events', () => {
  it('are not sent while held, even by "Sync now"; a rationale added in time goes with them', async () => {
    const event = AnnotationEvent.parse(sampleEvent('adoption', SUGGESTION));
    await enqueue(db, event, 120_000, clock);
    respond = acceptAll;
    expect((await engineFor(db).sync({ force: true })).queued).toBe(1);
    expect(received).toEqual([]);
    expect(await amendRationale(db, event.id, { codes: ['wrong_tone'], text: 'too formal' }, clock + 1_000)).toBe(true);
    const [sent] = await new Promise<{ rationale?: unknown }[]>((resolve) => {
      respond = (batch, res) => {
        resolve(batch as never);
        acceptAll(batch, res);
      };
      void engineFor(db).sync();
    });
    expect(sent!.rationale).toEqual({ codes: ['wrong_tone'], text: 'too formal' });
  });

  it('go out unchanged when the hold runs out, and can no longer be amended', async () => {
    const event = AnnotationEvent.parse(sampleEvent('adoption', SUGGESTION));
    await enqueue(db, event, 120_000, clock);
    clock += 120_001;
    expect(await amendRationale(db, event.id, { codes: ['policy'] }, clock)).toBe(false);
    respond = acceptAll;
    expect((await engineFor(db).sync()).queued).toBe(0);
    expect(received.flat()).toEqual([event.id]);
  });
});
