/**
 * 10,000 events queued offline in real Chromium (the built extension, its IndexedDB outbox), then the
 * server comes back: time until the server has stored them all. Writes bench/results/sync.{json,md}.
 *
 *   npm run bench:sync        (needs `npm run build` first; BENCH_EVENTS=10000)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnotationEvent, EVENT_TYPES, type SyncStatus } from '../lib/contract';
import { PROJECT_ROOT } from '../server/config';
import { askBackgroundFrom, extensionIdOf, launchWithExtension } from '../tests/support/browser';
import { sampleEvent } from '../tests/support/events';
import { startFaultProxy } from '../tests/support/fault-proxy';
import { startTestServer } from '../tests/support/server';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const SUGGESTION_ID = '0195f1a2-0000-4000-8000-0000000000bb';

/** One database's run: queue offline, bring the server back, time until all are stored. */
async function measure(kind: 'pglite' | 'postgres') {
  const server = await startTestServer(kind, { demo: true });
  const proxy = await startFaultProxy(server.url);
  const profile = mkdtempSync(join(tmpdir(), 'loopdesk-sync-bench-'));
  const context = await launchWithExtension(profile);
  try {
    const extensionId = await extensionIdOf(context);
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/popup.html`);
    // The agent's settings, as the options page stores them (WXT item `local:settings`).
    await page.evaluate(
      (settings) => (globalThis as unknown as { chrome: { storage: { local: { set(v: unknown): Promise<void> } } } }).chrome.storage.local.set({ settings }),
      { serverUrl: proxy.url, token: server.demoToken! },
    );
    proxy.inject({ kind: 'down' });
    const events = Array.from({ length: EVENTS }, (_, i) => AnnotationEvent.parse(sampleEvent(EVENT_TYPES[i % EVENT_TYPES.length]!, SUGGESTION_ID)));
    const queueStarted = performance.now();
    // Recorded the way the overlay records them: one message per event to the background worker.
    for (let i = 0; i < events.length; i += 500) {
      await page.evaluate(async (batch) => {
        const runtime = (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).chrome.runtime;
        await Promise.all(batch.map((event) => runtime.sendMessage({ type: 'record-event', event })));
      }, events.slice(i, i + 500));
    }
    const queueSeconds = (performance.now() - queueStarted) / 1000;
    const queued = (await askBackgroundFrom<SyncStatus>(page, { type: 'status' })).queued;
    if (queued !== EVENTS) throw new Error(`expected ${EVENTS} queued, found ${queued}`);

    // The server comes back; the worker notices on its next sync (here: the agent's "Sync now").
    proxy.inject({ kind: 'pass' });
    const started = performance.now();
    const syncing = askBackgroundFrom<SyncStatus>(page, { type: 'sync-now' }).catch(() => null);
    let stored = 0;
    while (stored < EVENTS) {
      await new Promise((r) => setTimeout(r, 100));
      stored = (await server.database.query<{ n: number }>('select count(*)::int as n from events where suggestion_id = $1', [SUGGESTION_ID]))[0]!.n;
      if (performance.now() - started > 120_000) throw new Error(`only ${stored} of ${EVENTS} stored after 120 s`);
    }
    const seconds = (performance.now() - started) / 1000;
    await syncing;
    return { database: server.database.kind, events: EVENTS, queueSeconds: +queueSeconds.toFixed(1), secondsUntilAllStored: +seconds.toFixed(2), goalSeconds: 10 };
  } finally {
    await context.close();
    await proxy.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// Both databases in one run when PostgreSQL is configured; PGlite (the embedded default) always.
const kinds: ('pglite' | 'postgres')[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const runs = [];
for (const kind of kinds) runs.push(await measure(kind));
const date = new Date().toISOString();
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'sync.json'), JSON.stringify({ date, runs }, null, 2));
const md = [
  `# Offline outbox catch-up (${date.slice(0, 10)})`,
  '',
  `${EVENTS} events queued offline in Chromium through the background worker's message API, then the server came back: time until the server had stored them all (goal ≤ 10 s).`,
  '',
  '| database | time to record offline | all stored after |',
  '|---|---:|---:|',
  ...runs.map((r) => `| ${r.database} | ${r.queueSeconds} s | **${r.secondsUntilAllStored} s** |`),
  '',
].join('\n');
writeFileSync(join(RESULTS, 'sync.md'), md);
console.log(md);
