/**
 * Regenerates the README's screenshots: the overlay on the demo helpdesk pages, with the built
 * extension in Chromium, and the leads' dashboard on the demo experiment's seeded history, against a
 * throwaway server.
 *
 *   npm run build && npx tsx scripts/screenshot.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureExtension } from '../tests/e2e/fixtures';
import { extensionIdOf, launchWithExtension } from '../tests/support/browser';
import { startTestServer } from '../tests/support/server';

const SHOTS = [
  { file: 'docs/overlay.png', path: '/demo/agent/tickets/1001' },
  { file: 'docs/overlay-freshdesk.png', path: '/demo/freshdesk/a/tickets/1005' },
];

const server = await startTestServer('pglite', { demo: true, demoHistory: true });
const profile = mkdtempSync(join(tmpdir(), 'loopdesk-shot-'));
const context = await launchWithExtension(profile);
try {
  await configureExtension(context, await extensionIdOf(context), server.url, server.demoToken!);
  const page = await context.newPage();
  await page.setViewportSize({ width: 1680, height: 1000 });
  for (const shot of SHOTS) {
    await page.goto(`${server.url}${shot.path}`);
    const panel = page.getByRole('complementary', { name: 'Loopdesk suggestions' });
    await panel.locator('[data-state="final"]').nth(1).waitFor();
    await panel.getByRole('list', { name: 'Knowledge articles' }).getByRole('listitem').first().waitFor();
    await page.screenshot({ path: shot.file });
    console.log(`wrote ${shot.file}`);
  }

  // The dashboard as a lead first sees it, with the demo experiment's metrics open.
  const dashboard = await context.newPage();
  await dashboard.setViewportSize({ width: 1440, height: 1000 });
  await dashboard.goto(`${server.url}/dashboard`);
  await dashboard.getByLabel('Lead or admin token').fill(server.demoLeadToken!);
  await dashboard.getByRole('button', { name: 'Sign in' }).click();
  await dashboard.getByTestId('experiment-reply-tone').getByRole('button', { name: 'Metrics & audit' }).click();
  await dashboard.getByTestId('arm-row-warm').waitFor();
  await dashboard.locator('canvas').first().waitFor();
  await dashboard.waitForTimeout(1_000); // the charts' entry animation
  await dashboard.screenshot({ path: 'docs/dashboard.png', fullPage: true });
  console.log('wrote docs/dashboard.png');
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
