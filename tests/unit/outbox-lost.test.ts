import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { AnnotationEvent } from '../../lib/contract';
import { sampleEvent } from '../support/events';

// lib/outbox/lost defines its storage items at import: give it the fake browser first.
Object.assign(globalThis, { chrome: fakeBrowser, browser: fakeBrowser });
let db: typeof import('../../lib/outbox/db');
let lost: typeof import('../../lib/outbox/lost');
beforeAll(async () => {
  db = await import('../../lib/outbox/db');
  lost = await import('../../lib/outbox/lost');
});
beforeEach(() => fakeBrowser.reset());

const SUGGESTION = '0195f1a2-0000-4000-8000-0000000000cc';

describe('an outbox the browser deleted', () => {
  it('is noticed when the database is created again, and said until dismissed', async () => {
    const name = `lost-${Math.random()}`;
    const open = () => db.openOutboxDb(name, undefined, { onCreated: () => lost.noteOutboxCreated() });
    // A new install: created once, nothing lost.
    let outbox = open();
    await db.enqueue(outbox, AnnotationEvent.parse(sampleEvent('preference', SUGGESTION)));
    await expect.poll(() => fakeBrowser.storage.local.get('outboxCreatedAt').then((v) => v.outboxCreatedAt)).toBeTruthy();
    expect(await lost.outboxLostMessage()).toBeNull();

    // Opening it again later (a new worker) is not a loss.
    outbox.close();
    outbox = open();
    expect(await outbox.outbox.count()).toBe(1);
    expect(await lost.outboxLostMessage()).toBeNull();

    // The browser deletes the database under the running install (a full disk); the next open creates it anew.
    outbox.close();
    await Dexie.delete(name);
    outbox = open();
    expect(await outbox.outbox.count()).toBe(0);
    await expect.poll(() => lost.outboxLostMessage()).toMatch(/deleted Loopdesk's local storage/);

    await lost.dismissOutboxLost();
    expect(await lost.outboxLostMessage()).toBeNull();
    outbox.close();
  });
});
