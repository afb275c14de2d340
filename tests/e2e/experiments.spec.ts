import type { Locator, Page } from '@playwright/test';
import type { ExperimentInput } from '../../lib/contract';
import { startTestServer } from '../support/server';
import { expect, test as base, waitForEvents } from './fixtures';

/** The extension asks for its assignment every 2 s here instead of every 30 s. */
const test = base.extend({
  server: async ({}, use) => {
    const server = await startTestServer('pglite', { demo: true, env: { LOOPDESK_EXPERIMENT_POLL_SECONDS: '2' } });
    await use(server);
    await server.close();
  },
});

const ARMS: ExperimentInput['arms'] = [
  { name: 'concise', generation: { model: 'extractive-v1', promptVersion: 'concise-v1', temperature: 0.2 } },
  { name: 'warm', generation: { model: 'extractive-v1', promptVersion: 'warm-v1', temperature: 0.7 } },
];

function overlay(page: Page): Locator {
  return page.getByRole('complementary', { name: 'Loopdesk suggestions' });
}

const candidates = (page: Page) => overlay(page).getByRole('region', { name: /^Suggested reply/ });

test('a lead switches a running experiment from pairwise to single in the dashboard: the open overlay shows one candidate without a reload', async ({ context, page, server }) => {
  const lead = await server.token('lead', { tenant: 'demo', team: 'support', name: 'lead-lee' });
  const created = await server.call('/v1/admin/experiments', {
    method: 'POST',
    token: lead,
    body: { key: 'tone-test', mode: 'pairwise', status: 'running', arms: ARMS } satisfies ExperimentInput,
  });
  expect(created.status).toBe(201);

  // The agent opens a ticket: both arms side by side.
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  await expect(candidates(page)).toHaveCount(2);
  // Agents are not told which arm is which; the candidate ids (`<suggestion>:<arm>`) carry it.
  const arms = await candidates(page).evaluateAll((cards) => cards.map((c) => c.getAttribute('data-candidate-id')!.split(':').pop()));
  expect(arms.sort()).toEqual(['concise', 'warm']);
  await expect(overlay(page).getByRole('group', { name: /which reply is better/i })).toBeVisible();

  // An agent's token cannot change experiments.
  const agentTry = await server.call('/v1/admin/experiments/tone-test', { method: 'PATCH', token: server.demoToken!, body: { mode: 'single' } });
  expect(agentTry.status).toBe(403);

  // The lead switches to single in the dashboard; the agent does nothing and does not reload.
  const dashboard = await context.newPage();
  await dashboard.goto(`${server.url}/dashboard`);
  await dashboard.getByLabel('Lead or admin token').fill(lead);
  await dashboard.getByRole('button', { name: 'Sign in' }).click();
  const card = dashboard.getByTestId('experiment-tone-test');
  await expect(card.getByLabel('Mode')).toHaveValue('pairwise');
  await card.getByLabel('Mode').selectOption('single');
  await expect.poll(async () => (await server.call('/v1/admin/experiments/tone-test', { token: lead })).body.mode).toBe('single');
  const switchedAt = Date.now();
  await page.bringToFront();
  await expect(candidates(page)).toHaveCount(1, { timeout: 60_000 });
  expect(Date.now() - switchedAt).toBeLessThan(60_000);
  await expect(overlay(page).getByRole('group', { name: /which reply is better/i })).toHaveCount(0);
  const [shown] = await waitForEvents(server, `type = 'suggestion.shown' and payload->'candidates'->0->>'side' = 'single'`, []);
  expect(shown!.payload.experiment).toMatchObject({ key: 'tone-test' });
  expect(['concise', 'warm']).toContain(shown!.payload.experiment.arm);

  // The audit log says who did it.
  const audit = await server.call('/v1/admin/experiments/tone-test/audit', { token: lead });
  expect(audit.body.entries[0]).toMatchObject({ actor: { name: 'lead-lee', role: 'lead' }, changes: { mode: { before: 'pairwise', after: 'single' } } });
});

test('with annotation sampling at 0 the overlay asks for no preference or relevance labels', async ({ page, server }) => {
  const lead = await server.token('lead', { tenant: 'demo' });
  const created = await server.call('/v1/admin/experiments', {
    method: 'POST',
    token: lead,
    body: { key: 'quiet', mode: 'pairwise', status: 'running', annotationSampling: 0, arms: ARMS } satisfies ExperimentInput,
  });
  expect(created.status).toBe(201);
  await page.goto(`${server.url}/demo/agent/tickets/1002`);
  await expect(candidates(page)).toHaveCount(2);
  const articles = overlay(page).getByRole('list', { name: 'Knowledge articles' });
  await expect(articles.getByRole('listitem').first()).toBeVisible();
  await expect(overlay(page).getByRole('group', { name: /which reply is better/i })).toHaveCount(0);
  await expect(articles.getByRole('group', { name: /relevant\?$/ })).toHaveCount(0);
  // Replies can still be used; missing knowledge can still be reported.
  await expect(overlay(page).getByRole('button', { name: 'Insert A' })).toBeEnabled();
});
