import type { SyncStatus } from '../../lib/contract';
import { AnnotationEvent } from '../../lib/contract';
import { askBackgroundFrom } from '../support/browser';
import { sampleEvent } from '../support/events';
import { expect, test } from './fixtures';

test('when the browser deletes the outbox, the popup says feedback was lost until the agent dismisses it', async ({ context, extensionId }) => {
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  const event = AnnotationEvent.parse(sampleEvent('preference', '0195f1a2-0000-4000-8000-0000000000dd'));
  await askBackgroundFrom(popup, { type: 'record-event', event });
  expect((await askBackgroundFrom<SyncStatus>(popup, { type: 'status' })).storageLost).toBeNull();

  // What Chromium does on a full disk, done by hand: the extension's database is deleted.
  await popup.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase('loopdesk');
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
      }),
  );
  await expect.poll(async () => (await askBackgroundFrom<SyncStatus>(popup, { type: 'status' })).storageLost).toMatch(/deleted Loopdesk's local storage/);
  await popup.reload();
  const alert = popup.getByRole('alert').filter({ hasText: "deleted Loopdesk's local storage" });
  await expect(alert).toBeVisible();
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toHaveCount(0);
  expect((await askBackgroundFrom<SyncStatus>(popup, { type: 'status' })).storageLost).toBeNull();
});
