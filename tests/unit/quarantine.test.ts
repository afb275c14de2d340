import 'fake-indexeddb/auto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnnotationEvent } from '../../lib/contract';
import { openOutboxDb, type OutboxDb } from '../../lib/outbox/db';
import { discardQuarantined, listQuarantine, retryQuarantined } from '../../lib/outbox/quarantine';
import { createSyncEngine } from '../../lib/outbox/sync';
import { sampleEvent } from '../support/events';

const SUGGESTION = '0195f1a2-0000-4000-8000-000000000000';
const UNKNOWN = '0195f1a2-ffff-7000-8000-000000000000';

/** A stand-in for /v1/events that accepts everything and records which ids it saw. */
const received: string[] = [];
let http: Server;
let url: string;

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { events } = JSON.parse(body) as { events: { id: string }[] };
      received.push(...events.map((e) => e.id));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: events.map((e) => ({ id: e.id, status: 'accepted' })) }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => http.close(resolve)));

let db: OutboxDb;
beforeEach(() => {
  db = openOutboxDb(`quarantine-${Math.random()}`);
  received.length = 0;
});

async function quarantine(type: AnnotationEvent['type'], quarantinedAt: number, reason = 'rejected by the server') {
  const event = AnnotationEvent.parse(sampleEvent(type, SUGGESTION));
  await db.quarantine.put({ id: event.id, event, reason, quarantinedAt });
  return event;
}

describe('quarantine', () => {
  it('lists newest first, with the fields the popup shows and the event as JSON', async () => {
    const older = await quarantine('adoption', 1_000, 'finalText: too long');
    const newer = await quarantine('preference', 3_000);
    const middle = await quarantine('knowledge.relevance', 2_000);
    const list = await listQuarantine(db);
    expect(list.map((e) => e.id)).toEqual([newer.id, middle.id, older.id]);
    expect(list[2]).toEqual({
      id: older.id,
      type: 'adoption',
      ticketId: '1001',
      reason: 'finalText: too long',
      quarantinedAt: new Date(1_000).toISOString(),
      eventJson: JSON.stringify(older, null, 2),
    });
    expect(JSON.parse(list[2]!.eventJson)).toEqual(older);
  });

  it('retry moves the event back to the outbox, due now, and the next sync delivers it', async () => {
    const event = await quarantine('adoption', 1_000);
    expect(await retryQuarantined(db, event.id)).toBe(true);
    expect(await db.quarantine.count()).toBe(0);
    expect(await db.outbox.get(event.id)).toMatchObject({ event, attempts: 0, nextAttemptAt: 0 });

    const status = await createSyncEngine(db, { target: async () => ({ serverUrl: url, token: 't' }) }).sync();
    expect(received).toEqual([event.id]);
    expect(status).toMatchObject({ queued: 0, quarantined: 0, lastError: null });
  });

  it('discard deletes the event without queueing it', async () => {
    const kept = await quarantine('preference', 1_000);
    const dropped = await quarantine('adoption', 2_000);
    expect(await discardQuarantined(db, dropped.id)).toBe(true);
    expect((await listQuarantine(db)).map((e) => e.id)).toEqual([kept.id]);
    expect(await db.outbox.count()).toBe(0);
  });

  it('retry and discard answer false for an id that is not quarantined', async () => {
    const event = await quarantine('adoption', 1_000);
    expect(await retryQuarantined(db, UNKNOWN)).toBe(false);
    expect(await discardQuarantined(db, UNKNOWN)).toBe(false);
    expect(await db.outbox.count()).toBe(0);
    // A second action on the same event finds it gone.
    expect(await discardQuarantined(db, event.id)).toBe(true);
    expect(await retryQuarantined(db, event.id)).toBe(false);
    expect(await discardQuarantined(db, event.id)).toBe(false);
  });
});
