/**
 * Self-hosted distribution, end to end: `loopdesk extension pack` signs the built extension with an
 * organisation's own key, the Loopdesk server offers it at /extension/updates.xml, and Chromium
 * force-installs it from there by policy (`ExtensionSettings`), under the id that key gives, and runs it.
 *
 * Like policy.spec.ts this writes a machine-wide policy file under /etc/chromium/policies/managed/,
 * so it runs in the 'policy' project, alone, after every other browser test; the file is removed
 * afterwards, also when a test fails or the run is interrupted.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type BrowserContext } from '@playwright/test';
import { EXTENSION_DIR, launchForPolicyInstall } from '../support/browser';
import { startTestServer, type TestServer } from '../support/server';
import { canWritePolicies, chromiumPolicyFile, POLICY_DIR } from '../support/chromium-policy';

const policyFile = chromiumPolicyFile('loopdesk-install-test.json');
const POLICY_FILE = policyFile.file;
const removePolicy = policyFile.remove;
const DEV_EXTENSION_ID = 'nkijplgmibanljkegkjkejpfabaklpdd';
const run = promisify(execFile);

test.describe.configure({ mode: 'serial' });

test.skip(!canWritePolicies(), `needs write access to ${POLICY_DIR} (run as root)`);

let work: string;
let server: TestServer;
let context: BrowserContext;
let extensionId: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  work = mkdtempSync(join(tmpdir(), 'loopdesk-install-'));
  // The organisation's key, as `openssl genrsa` writes it (PKCS#1).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(work, 'org.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  const outDir = join(work, 'extension');
  // The real CLI, as an admin runs it, on the build the other e2e tests use.
  const { stdout } = await run(process.execPath, ['bin/loopdesk.mjs', 'extension', 'pack', '--key', keyFile, '--source', EXTENSION_DIR, '--out', outDir]);
  extensionId = /^extension id: ([a-p]{32})$/m.exec(stdout)![1]!;
  server = await startTestServer('pglite', { demo: true, extensionDir: outDir });
  writeFileSync(
    POLICY_FILE,
    JSON.stringify({
      // By default Chromium keeps DevTools — and so Playwright — off the pages and service worker of
      // extensions installed by policy; 1 allows it, for this test only.
      DeveloperToolsAvailability: 1,
      ExtensionSettings: { [extensionId]: { installation_mode: 'force_installed', update_url: `${server.url}/extension/updates.xml` } },
      '3rdparty': { extensions: { [extensionId]: { serverUrl: server.url, token: server.demoToken } } },
    }),
    { mode: 0o644 },
  );
  context = await launchForPolicyInstall(join(work, 'profile'));
});

test.afterAll(async () => {
  removePolicy();
  await context?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('Chromium force-installs the self-hosted CRX under the organisation key’s id and runs it', async () => {
  test.setTimeout(90_000);
  const isOurs = (url: string) => url.startsWith(`chrome-extension://${extensionId}/`);
  const worker = context.serviceWorkers().find((w) => isOurs(w.url())) ?? (await context.waitForEvent('serviceworker', { predicate: (w) => isOurs(w.url()), timeout: 60_000 }));
  expect(new URL(worker.url()).host).toBe(extensionId);
  expect(extensionId).not.toBe(DEV_EXTENSION_ID);
  // The installed extension is the packed build: its manifest carries the organisation's key.
  const manifest = await worker.evaluate(() => (globalThis as unknown as { chrome: { runtime: { getManifest(): { version: string; key?: string } } } }).chrome.runtime.getManifest());
  const built = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')) as { version: string; key: string };
  expect(manifest.version).toBe(built.version);
  expect(manifest.key).not.toBe(built.key);
  // It runs with the policy handed to it under that id.
  await expect
    .poll(() => worker.evaluate(() => (globalThis as unknown as { chrome: { storage: { managed: { get(): Promise<Record<string, unknown>> } } } }).chrome.storage.managed.get()))
    .toEqual({ serverUrl: server.url, token: server.demoToken });
  // And it works: a demo ticket gets suggestions from the policy's server.
  const page = await context.newPage();
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  const overlay = page.getByRole('complementary', { name: 'Loopdesk suggestions' });
  await expect(overlay.getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2);
  await page.close();
});
