/**
 * What the built extension does in real Chromium when the disk under its profile fills up, as
 * measured for the README's storage-pressure paragraph. Not a test (the outcome is not the same
 * from run to run, see the README); an investigation to re-run when Chromium or the outbox changes.
 *
 *   npm run build && npx tsx scripts/full-disk-probe.ts [runs]
 *
 * Needs root: it mounts a 64 MB tmpfs at a temporary directory for the profile, delivers 300
 * events (so receipts exist), takes the server away, fills the tmpfs until 2 MB are free, then
 * records events one by one until the browser has refused three, frees the disk, brings the server
 * back and syncs. It prints per run: how many events the extension accepted, what the agent was
 * told, what the popup showed, and how many accepted events the server ended up with.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnotationEvent, type SyncStatus } from '../lib/contract';
import type { Page } from '@playwright/test';
import { askBackgroundFrom, extensionIdOf, launchWithExtension } from '../tests/support/browser';
import { sampleEvent } from '../tests/support/events';
import { startFaultProxy } from '../tests/support/fault-proxy';
import { startTestServer } from '../tests/support/server';

const SUGGESTION = '0195f1a2-0000-4000-8000-000000000001';
const DISK_MB = 64;
const LEAVE_FREE = 2_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The background's answer, or an error when none comes within 20 s (a hang is an outcome too). */
function ask<T>(page: Page, message: unknown): Promise<T> {
  return Promise.race([
    askBackgroundFrom<T>(page, message),
    sleep(20_000).then(() => {
      throw new Error(`no answer to ${(message as { type: string }).type} within 20 s`);
    }),
  ]);
}

async function unmount(dir: string) {
  // Chromium's last processes may hold the profile for a moment after the context closes.
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      return;
    } catch {
      await sleep(200);
    }
  }
  execFileSync('umount', ['-l', dir]);
}

async function probe(run: number) {
  const mnt = mkdtempSync(join(tmpdir(), 'loopdesk-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m`, 'tmpfs', mnt]);
  } catch (err) {
    throw new Error(`cannot mount a tmpfs (run as root): ${(err as Error).message}`);
  }
  const free = () => {
    const s = statfsSync(mnt);
    return s.bavail * s.bsize;
  };
  const server = await startTestServer('pglite', { demo: true });
  const proxy = await startFaultProxy(server.url);
  const context = await launchWithExtension(join(mnt, 'profile'));
  let filler: number | undefined;
  try {
    const id = await extensionIdOf(context);
    const options = await context.newPage();
    await options.goto(`chrome-extension://${id}/options.html`);
    await options.getByLabel('Server URL').fill(proxy.url);
    await options.getByLabel('Token').fill(server.demoToken!);
    await options.getByRole('button', { name: 'Save' }).click();
    await options.getByText('Saved.').waitFor();
    const page = await context.newPage();
    await page.goto(`chrome-extension://${id}/popup.html`);
    const status = () => ask<SyncStatus>(page, { type: 'status' });
    const event = () => AnnotationEvent.parse(sampleEvent('knowledge.missing', SUGGESTION, { description: 'x'.repeat(200) }));
    const accepted: string[] = [];
    const record = async (e: AnnotationEvent) => {
      await ask(page, { type: 'record-event', event: e });
      accepted.push(e.id);
    };
    const syncUntilEmpty = async () => {
      for (let i = 0; i < 30; i++) {
        const s = await ask<SyncStatus>(page, { type: 'sync-now' }).catch(() => null);
        if (s?.queued === 0) return;
        await sleep(500);
      }
    };

    for (let i = 0; i < 300; i++) await record(event());
    await syncUntilEmpty();
    console.log(`run ${run}: delivered 300, receipts ${(await status()).delivered}; quota as the extension sees it:`, await page.evaluate(() => navigator.storage.estimate()));
    proxy.inject({ kind: 'down' });

    filler = openSync(join(mnt, 'filler'), 'w');
    const chunk = Buffer.alloc(1 << 20, 1);
    while (free() > LEAVE_FREE + chunk.length) writeSync(filler, chunk);
    while (free() > LEAVE_FREE) writeSync(filler, chunk.subarray(0, 4096));
    const beforeFull = accepted.length;

    let refusals = 0;
    let lastCount = -1;
    for (let i = 0; i < 5_000 && refusals < 3; i++) {
      try {
        await record(event());
      } catch (err) {
        refusals++;
        const queued = await status().then((s) => s.queued, (e: Error) => `status failed: ${e.message}`);
        // The popup as the agent would open it (a new tab may not open on the full disk: reload this one).
        await page.reload();
        await sleep(1_000);
        const alerts = await page.getByRole('alert').allTextContents();
        console.log(`  refusal ${refusals} after ${accepted.length - beforeFull} events on the full disk (free ${free()} B)`);
        console.log(`    agent told: ${(err as Error).message.split('\n')[0]}`);
        console.log(`    queued now: ${queued} (accepted and undelivered: ${accepted.length - 300}); popup alerts: ${JSON.stringify(alerts)}`);
        lastCount = typeof queued === 'number' ? queued : lastCount;
      }
    }
    closeSync(filler);
    filler = undefined;
    rmSync(join(mnt, 'filler'));
    let afterFree = 'recorded';
    await record(event()).catch((err: Error) => (afterFree = `refused: ${err.message}`));
    proxy.inject({ kind: 'pass' });
    await syncUntilEmpty();
    const [row] = await server.database.query<{ stored: number; distinct_ids: number }>(
      'select count(*)::int as stored, count(distinct id)::int as distinct_ids from events where id = any($1::uuid[])',
      [accepted],
    );
    console.log(`  disk freed: a new event was ${afterFree}; after sync the server holds ${row!.distinct_ids} of ${accepted.length} accepted events (${accepted.length - row!.distinct_ids} lost, ${row!.stored - row!.distinct_ids} duplicated)`);
  } finally {
    if (filler !== undefined) closeSync(filler);
    await context.close().catch(() => {});
    await proxy.close();
    await server.close();
    await unmount(mnt);
    rmSync(mnt, { recursive: true, force: true });
  }
}

const runs = Number(process.argv[2] ?? 1);
for (let run = 1; run <= runs; run++) await probe(run);
