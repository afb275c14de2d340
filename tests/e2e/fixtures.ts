import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, chromium, expect, type BrowserContext, type Page } from '@playwright/test';
import { startTestServer, type TestServer } from '../support/server';

export const EXTENSION_DIR = resolve('.output/chrome-mv3');

/** Debian's Chromium here; CHROMIUM_PATH overrides; Playwright's own browser where one is installed. */
function chromiumExecutable(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(p));
}

export async function launchWithExtension(userDataDir: string): Promise<BrowserContext> {
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) throw new Error('build the extension first: npm run build');
  return chromium.launchPersistentContext(userDataDir, {
    headless: true,
    executablePath: chromiumExecutable(),
    args: [
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    viewport: { width: 1400, height: 900 },
  });
}

export async function extensionIdOf(context: BrowserContext): Promise<string> {
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  return new URL(worker.url()).host;
}

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
