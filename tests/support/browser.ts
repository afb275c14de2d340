import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';

export const EXTENSION_DIR = resolve('.output/chrome-mv3');

/** Debian's Chromium here; CHROMIUM_PATH overrides; Playwright's own browser where one is installed. */
export function chromiumExecutable(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].filter(Boolean) as string[];
  return candidates.find((p) => existsSync(p));
}

/** Flags every launch here shares, with or without the extension. */
const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export async function launchWithExtension(userDataDir: string): Promise<BrowserContext> {
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) throw new Error('build the extension first: npm run build');
  return launch(userDataDir, [`--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`]);
}

/** The same browser and flags without the extension (Playwright's defaults then disable extensions): a baseline for benches. */
export async function launchWithoutExtension(userDataDir: string): Promise<BrowserContext> {
  return launch(userDataDir, []);
}

/**
 * Chromium with extensions enabled but none loaded from disk: what policy force-installs (from its
 * update URL) is all it gets. Playwright's defaults `--disable-extensions` and
 * `--disable-background-networking` are left out: the second stops the extension updater, so the
 * update manifest is never fetched.
 */
export async function launchForPolicyInstall(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    headless: true,
    executablePath: chromiumExecutable(),
    ignoreDefaultArgs: ['--disable-extensions', '--disable-background-networking'],
    args: COMMON_ARGS.filter((arg) => arg !== '--disable-background-networking'),
    viewport: { width: 1400, height: 900 },
  });
}

function launch(userDataDir: string, extensionArgs: string[]): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    headless: true,
    executablePath: chromiumExecutable(),
    args: [...extensionArgs, ...COMMON_ARGS],
    viewport: { width: 1400, height: 900 },
  });
}

export async function extensionIdOf(context: BrowserContext): Promise<string> {
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  return new URL(worker.url()).host;
}


/**
 * Sends a message to the extension's background worker from one of its own pages (as the overlay and
 * popup do) and unwraps the `{ok, value | error}` answer.
 */
export async function askBackgroundFrom<T>(page: Page, message: unknown): Promise<T> {
  const answer = (await page.evaluate(
    (m) => (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).chrome.runtime.sendMessage(m),
    message,
  )) as { ok: boolean; value?: T; error?: string };
  if (!answer.ok) throw new Error(answer.error);
  return answer.value as T;
}
