/**
 * Deployment by enterprise policy, for real: a Chromium policy file for the extension's id under
 * /etc/chromium/policies/managed/, Chromium started after it, and nothing configured by the agent.
 *
 * The policy file is machine-wide and reaches every Chromium started while it exists, so this file
 * runs in its own Playwright project ('policy'), after all other e2e tests and with nothing else
 * running (see playwright.config.ts and scripts/run-tests.ts). The file is removed afterwards, also
 * when a test fails or the run is interrupted.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { askBackgroundFrom, extensionIdOf, launchWithExtension } from '../support/browser';
import { startTestServer, type TestServer } from '../support/server';
import { canWritePolicies, chromiumPolicyFile, POLICY_DIR } from '../support/chromium-policy';

const EXTENSION_ID = 'nkijplgmibanljkegkjkejpfabaklpdd';
const policyFile = chromiumPolicyFile('loopdesk-test.json');
const POLICY_FILE = policyFile.file;
const removePolicy = policyFile.remove;

test.describe.configure({ mode: 'serial' });

let server: TestServer;
let context: BrowserContext;
let userDataDir: string;
let token: string;

test.skip(!canWritePolicies(), `needs write access to ${POLICY_DIR} (run as root)`);

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startTestServer('pglite', { demo: true });
  token = server.demoToken!;
  mkdirSync(POLICY_DIR, { recursive: true });
  writeFileSync(
    POLICY_FILE,
    JSON.stringify({ '3rdparty': { extensions: { [EXTENSION_ID]: { serverUrl: server.url, token, redaction: 'strict' } } } }, null, 2),
    { mode: 0o644 },
  );
  // Chromium reads the policy directory at start: it is launched only now.
  userDataDir = mkdtempSync(join(tmpdir(), 'loopdesk-policy-profile-'));
  context = await launchWithExtension(userDataDir);
});

test.afterAll(async () => {
  removePolicy();
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await server?.close();
});

async function extensionPage(path: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${EXTENSION_ID}/${path}`);
  return page;
}

test('Chromium hands the policy to the extension as managed storage', async () => {
  expect(existsSync(POLICY_FILE)).toBe(true);
  expect(await extensionIdOf(context)).toBe(EXTENSION_ID);
  const worker = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`))!;
  await expect
    .poll(() => worker.evaluate(() => (globalThis as unknown as { chrome: { storage: { managed: { get(): Promise<Record<string, unknown>> } } } }).chrome.storage.managed.get()))
    .toEqual({ serverUrl: server.url, token, redaction: 'strict' });
  const readLocal = () =>
    worker.evaluate(() =>
      (globalThis as unknown as { chrome: { storage: { local: { get(k: string[]): Promise<Record<string, unknown>> } } } }).chrome.storage.local.get([
        'settings',
        'policySettledAt',
      ]),
    );
  // The first run's wait for the policy ends once it is there (the worker writes when it saw it).
  await expect.poll(async () => (await readLocal()).policySettledAt).toEqual(expect.any(String));
  // Nothing was configured by the agent: no settings of their own are stored.
  expect((await readLocal()).settings).toBeUndefined();
});

test('the options page shows the policy values locked: they cannot be edited or saved over', async () => {
  const options = await extensionPage('options.html');
  const serverUrl = options.getByLabel('Server URL');
  await expect(serverUrl).toHaveValue(server.url);
  await expect(serverUrl).toBeDisabled();
  await expect(serverUrl).not.toBeEditable();
  await expect(options.getByLabel('Token')).toBeDisabled();
  await expect(options.getByLabel('Redaction')).toHaveValue('strict');
  await expect(options.getByLabel('Redaction')).toBeDisabled();
  await expect(options.locator('#ld-serverUrl-locked')).toHaveText('Set by your organization');
  await expect(serverUrl).toHaveAccessibleDescription('Set by your organization');
  // Typing into a locked field does nothing, and with every field locked there is nothing to save.
  await serverUrl.focus();
  await options.keyboard.type('http://evil.example');
  await expect(serverUrl).toHaveValue(server.url);
  await expect(options.getByRole('button', { name: 'Save' })).toBeDisabled();
  // The background runs with the policy's values too.
  expect(await askBackgroundFrom(options, { type: 'overlay-config' })).toEqual({
    redaction: 'strict',
    annotations: { preference: true, relevance: true, adoption: true, missingKnowledge: true, rationale: true },
    hostAllowed: true,
  });
  await options.close();
});

test('with no agent configuration, a demo ticket gets suggestions from the policy’s server', async () => {
  const page = await context.newPage();
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  const overlay = page.getByRole('complementary', { name: 'Loopdesk suggestions' });
  await expect(overlay).toHaveAttribute('data-ticket-id', '1001');
  await expect(overlay.getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2);
  // The suggestion was made by the policy's server, for the policy token's agent.
  const rows = await server.database.query<{ n: number }>(`select count(*)::int as n from suggestions`);
  expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
  await expect
    .poll(async () => (await server.database.query<{ n: number }>(`select count(*)::int as n from events where type = 'suggestion.shown'`))[0]!.n, {
      timeout: 20_000,
    })
    .toBeGreaterThanOrEqual(1);
  await page.close();
});

test('a changed policy applies without a restart: a helpdesk host outside the allowed list gets no suggestions', async () => {
  test.setTimeout(120_000);
  writeFileSync(
    POLICY_FILE,
    JSON.stringify({
      '3rdparty': {
        extensions: {
          [EXTENSION_ID]: { serverUrl: server.url, token, redaction: 'standard', allowedHelpdeskHosts: ['acme.zendesk.com'], annotations: { rationale: false } },
        },
      },
    }),
    { mode: 0o644 },
  );
  // Chromium watches its policy directory and reloads it a few seconds after a change.
  const options = await extensionPage('options.html');
  await expect(options.getByLabel('Redaction')).toHaveValue('standard', { timeout: 60_000 });
  await expect(options.getByLabel('Redaction')).toBeDisabled();
  expect(await askBackgroundFrom(options, { type: 'overlay-config' })).toMatchObject({
    redaction: 'standard',
    annotations: { rationale: false, adoption: true },
  });
  await options.close();

  const page = await context.newPage();
  await page.goto(`${server.url}/demo/agent/tickets/1002`);
  const overlay = page.getByRole('complementary', { name: 'Loopdesk suggestions' });
  await expect(overlay.getByRole('alert')).toContainText('Loopdesk is not enabled for 127.0.0.1 by your organization');
  await expect(overlay.getByRole('region', { name: /^Suggested reply/ })).toHaveCount(0);
  await page.close();
});
