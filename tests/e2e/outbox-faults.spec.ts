import { AnnotationEvent, type SyncStatus } from '../../lib/contract';
import { sampleEvent } from '../support/events';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askBackgroundFrom } from '../support/browser';
import type { TestServer } from '../support/server';
import { configureExtension, expect, extensionIdOf, launchWithExtension, test } from './fixtures';

/**
 * Fault injection between the extension and the server: whatever happens to the network or the
 * server, every event the agent created is stored exactly once once things recover.
 */
const EVENTS_PER_SCENARIO = 200;
const SUGGESTION_ID = '0195f1a2-0000-4000-8000-000000000001';
const table: { scenario: string; created: number; stored: number; lost: number; duplicated: number }[] = [];



/** Reads back what the server stored of the created events and adds the scenario's row to the table. */
async function recordOutcome(server: TestServer, scenario: string, events: AnnotationEvent[]) {
  const [row] = await server.database.query<{ stored: number; distinct_ids: number }>(
    'select count(*)::int as stored, count(distinct id)::int as distinct_ids from events where id = any($1::uuid[])',
    [events.map((e) => e.id)],
  );
  const outcome = { scenario, created: events.length, stored: row!.distinct_ids, lost: events.length - row!.distinct_ids, duplicated: row!.stored - row!.distinct_ids };
  table.push(outcome);
  return outcome;
}

const SCENARIOS: { name: string; fault: Fault; times: number }[] = [
  { name: 'server down for a while', fault: { kind: 'down' }, times: Infinity },
  { name: 'burst of 500s', fault: { kind: 'status', status: 500 }, times: 3 },
  { name: '429 with Retry-After', fault: { kind: 'status', status: 429, retryAfterSeconds: 1 }, times: 2 },
  { name: 'response hangs past the timeout', fault: { kind: 'hang' }, times: 1 },
  { name: 'reset after the server stored the batch', fault: { kind: 'reset-after-store' }, times: 2 },
];

test.afterAll(() => {
  console.log('\nscenario | created | stored | lost | duplicated');
  for (const r of table) console.log(`${r.scenario} | ${r.created} | ${r.stored} | ${r.lost} | ${r.duplicated}`);
});

test.describe('outbox under injected faults', () => {
  for (const scenario of SCENARIOS) {
    test(`no event lost or doubled: ${scenario.name}`, async ({ context, extensionId, server }) => {
      test.setTimeout(120_000);
      let proxy: FaultProxy | undefined;
      try {
        proxy = await startFaultProxy(server.url);
        await configureExtension(context, extensionId, proxy.url, server.demoToken!);
        const page = await context.newPage();
        await page.goto(`chrome-extension://${extensionId}/popup.html`);

        proxy.inject(scenario.fault, scenario.times);
        const events = Array.from({ length: EVENTS_PER_SCENARIO }, () => AnnotationEvent.parse(sampleEvent('knowledge.relevance', SUGGESTION_ID)));
        for (const event of events) await askBackgroundFrom(page, { type: 'record-event', event });
        // The fault really happened to the extension's own (debounced) sync.
        await expect.poll(() => proxy!.stats().faulted, { timeout: 30_000 }).toBeGreaterThan(0);

        if (scenario.times === Infinity) proxy.inject({ kind: 'pass' });
        // Recovery: the agent presses "Sync now" until the queue is empty.
        await expect
          .poll(async () => (await askBackgroundFrom<SyncStatus>(page, { type: 'sync-now' })).queued, { timeout: 60_000, intervals: [500, 1_000, 2_000] })
          .toBe(0);

        expect(await recordOutcome(server, scenario.name, events)).toMatchObject({ stored: EVENTS_PER_SCENARIO, lost: 0, duplicated: 0 });
        const status = await askBackgroundFrom<SyncStatus>(page, { type: 'status' });
        expect(status).toMatchObject({ queued: 0, quarantined: 0 });
      } finally {
        await proxy?.close();
      }
    });
  }
});

test.describe('outbox across worker and browser restarts', () => {
  test('no event lost or doubled: service worker stopped mid-batch', async ({ context, extensionId, server }) => {
    test.setTimeout(120_000);
    const proxy = await startFaultProxy(server.url);
    try {
      await configureExtension(context, extensionId, proxy.url, server.demoToken!);
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/popup.html`);
      // The first batch reaches the server and is stored, but its answer never comes back.
      proxy.inject({ kind: 'hang' }, 1);
      const events = Array.from({ length: EVENTS_PER_SCENARIO }, () => AnnotationEvent.parse(sampleEvent('adoption', SUGGESTION_ID)));
      for (const event of events) await askBackgroundFrom(page, { type: 'record-event', event });
      await expect.poll(() => proxy.stats().batches, { timeout: 30_000 }).toBeGreaterThan(0);
      // Chrome may stop an MV3 worker at any moment; here, while its batch is in flight.
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      // A message wakes a new worker, which finds the events still queued and sends them.
      await expect
        .poll(async () => (await askBackgroundFrom<SyncStatus>(page, { type: 'sync-now' })).queued, { timeout: 60_000, intervals: [500, 1_000, 2_000] })
        .toBe(0);
      expect(await recordOutcome(server, 'service worker stopped mid-batch', events)).toMatchObject({ stored: EVENTS_PER_SCENARIO, lost: 0, duplicated: 0 });
    } finally {
      await proxy.close();
    }
  });

  test('no event lost or doubled: browser closed and relaunched with events queued', async ({ server }) => {
    test.setTimeout(120_000);
    const proxy = await startFaultProxy(server.url);
    const profile = mkdtempSync(join(tmpdir(), 'loopdesk-relaunch-'));
    try {
      let context = await launchWithExtension(profile);
      const extensionId = await extensionIdOf(context);
      await configureExtension(context, extensionId, proxy.url, server.demoToken!);
      proxy.inject({ kind: 'down' });
      let page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/popup.html`);
      const events = Array.from({ length: EVENTS_PER_SCENARIO }, () => AnnotationEvent.parse(sampleEvent('preference', SUGGESTION_ID)));
      for (const event of events) await askBackgroundFrom(page, { type: 'record-event', event });
      await expect.poll(async () => (await askBackgroundFrom<SyncStatus>(page, { type: 'status' })).queued).toBe(EVENTS_PER_SCENARIO);
      await context.close();

      // The network is back; the agent opens the browser again on the same profile.
      proxy.inject({ kind: 'pass' });
      context = await launchWithExtension(profile);
      page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/popup.html`);
      await expect
        .poll(async () => (await askBackgroundFrom<SyncStatus>(page, { type: 'sync-now' })).queued, { timeout: 60_000, intervals: [500, 1_000, 2_000] })
        .toBe(0);
      await context.close();
      expect(await recordOutcome(server, 'browser closed and relaunched', events)).toMatchObject({ stored: EVENTS_PER_SCENARIO, lost: 0, duplicated: 0 });
    } finally {
      await proxy.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
