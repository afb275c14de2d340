import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type BrowserContext } from '@playwright/test';
import { seedDisagreeingAgents } from '../support/annotators';
import { launchWithoutExtension } from '../support/browser';
import { startTestServer, type TestServer } from '../support/server';

/** The dashboard alone: a server and a browser without the extension (no agent works here). */
const test = base.extend<{ server: TestServer; context: BrowserContext }>({
  server: async ({}, use) => {
    const server = await startTestServer('pglite');
    await use(server);
    await server.close();
  },
  context: async ({}, use) => {
    const userDataDir = mkdtempSync(join(tmpdir(), 'loopdesk-profile-'));
    const context = await launchWithoutExtension(userDataDir);
    await use(context);
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  },
});

test('after a flywheel cycle a lead sees each agent\'s annotation quality, the contradicting agent first and flagged, and both model kinds', async ({ context, server }) => {
  const lead = await server.token('lead');
  await seedDisagreeingAgents(server);

  const dashboard = await context.newPage();
  await dashboard.goto(`${server.url}/dashboard`);
  await dashboard.getByLabel('Lead or admin token').fill(lead);
  await dashboard.getByRole('button', { name: 'Sign in' }).click();
  await dashboard.getByRole('button', { name: 'Annotation quality' }).click();
  await expect(dashboard.getByText('No flywheel cycle has estimated annotation quality yet')).toBeVisible();

  const run = await server.call('/v1/admin/flywheel/run', { token: await server.token('admin'), body: {} });
  expect(run.status).toBe(200);
  expect(run.body.status).not.toBe('skipped');

  await dashboard.getByRole('button', { name: 'Refresh' }).click();
  const table = dashboard.getByRole('table', { name: 'Annotation quality by agent' });
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(table.getByRole('rowheader').first()).toContainText('carol');
  await expect(dashboard.getByTestId('annotator-carol')).toHaveAttribute('data-flagged', 'true');
  await expect(dashboard.getByTestId('annotator-carol')).toContainText('far below the team');
  for (const name of ['alice', 'bob']) await expect(dashboard.getByTestId(`annotator-${name}`)).toHaveAttribute('data-flagged', 'false');
  await expect(dashboard.getByTestId('annotation-estimate')).toContainText(`v${run.body.version}`);

  await dashboard.getByRole('button', { name: 'Models' }).click();
  await expect(dashboard.getByTestId(`model-${run.body.version}`)).toBeVisible();
  await expect(dashboard.getByTestId('models-reply-memory')).toContainText('Reply memory');
});
