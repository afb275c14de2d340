import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { extensionIdOf, launchWithExtension } from '../support/browser';
import { startTestServer, type TestServer } from '../support/server';

export { EXTENSION_DIR, extensionIdOf, launchWithExtension } from '../support/browser';

/** Sets the server URL and token the way an agent does: through the options page. */
export async function configureExtension(context: BrowserContext, extensionId: string, serverUrl: string, token: string) {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await options.getByLabel('Server URL').fill(serverUrl);
  await options.getByLabel('Token').fill(token);
  await options.getByRole('button', { name: 'Save' }).click();
  await expect(options.getByRole('status')).toHaveText('Saved.');
  await options.close();
}

interface Fixtures {
  server: TestServer;
  context: BrowserContext;
  extensionId: string;
  agentToken: string;
  page: Page;
}

/** A fresh server (own PGlite database, demo helpdesk) and a fresh browser profile per test. */
export const test = base.extend<Fixtures>({
  server: async ({}, use) => {
    const server = await startTestServer('pglite', { demo: true });
    await use(server);
    await server.close();
  },
  agentToken: async ({ server }, use) => {
    await use(server.demoToken!);
  },
  context: async ({}, use) => {
    const userDataDir = mkdtempSync(join(tmpdir(), 'loopdesk-profile-'));
    const context = await launchWithExtension(userDataDir);
    await use(context);
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  },
  extensionId: async ({ context }, use) => {
    await use(await extensionIdOf(context));
  },
  page: async ({ context, extensionId, server, agentToken }, use) => {
    await configureExtension(context, extensionId, server.url, agentToken);
    const page = await context.newPage();
    await use(page);
  },
});

export { expect };

/** Waits until the server's database holds events matching `where`, and returns them. */
export async function waitForEvents(
  server: TestServer,
  where: string,
  params: unknown[],
  count = 1,
): Promise<Record<string, any>[]> {
  let rows: Record<string, any>[] = [];
  await expect
    .poll(
      async () => {
        rows = await server.database.query(`select type, ticket_id, suggestion_id, payload from events where ${where} order by received_at`, params);
        return rows.length;
      },
      { timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return rows;
}
