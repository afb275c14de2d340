import type { Locator, Page } from '@playwright/test';
import type { AnnotationEvent, ExperimentInput } from '../../lib/contract';
import { generateExperimentEvents } from '../../server/experiments/demo-events';
import { expectedMetrics as recomputeMetrics } from '../support/metrics-recompute';
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
    body: { key: 'tone-test', mode: 'pairwise', status: 'running', teams: ['support'], arms: ARMS } satisfies ExperimentInput,
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
    body: { key: 'quiet', mode: 'pairwise', status: 'running', teams: ['support'], annotationSampling: 0, arms: ARMS } satisfies ExperimentInput,
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

test('the dashboard shows per-arm numbers that match a recomputation from the raw events', async ({ context, server }) => {
  const lead = await server.token('lead', { tenant: 'demo' });
  const arms = ['concise', 'warm', 'warm-long'];
  const created = await server.call('/v1/admin/experiments', {
    method: 'POST',
    token: lead,
    body: {
      key: 'recipes',
      mode: 'pairwise',
      teams: ['support'],
      controlArm: 'warm',
      arms: arms.map((name, i) => ({ name, generation: { model: 'extractive-v1', promptVersion: i ? 'warm-v1' : 'concise-v1', temperature: 0.2 + i / 4 } })),
    } satisfies ExperimentInput,
  });
  expect(created.status).toBe(201);
  // Agents' annotations over five days, sent as the extension sends them.
  const sent = [...generateExperimentEvents({ experimentKey: 'recipes', arms, days: 5, perDay: 30, seed: 11 })];
  for (let i = 0; i < sent.length; i += 500) {
    const { status } = await server.call('/v1/events', { token: server.demoToken!, body: { events: sent.slice(i, i + 500) } });
    expect(status).toBe(200);
  }
  const raw = await server.database.query<{ payload: AnnotationEvent }>('select payload from events where experiment_key = $1', ['recipes']);
  expect(raw.length).toBe(sent.length);
  const expected = recomputeMetrics(
    raw.map((r) => r.payload),
    { key: 'recipes', arms, bucket: 'day', control: 'warm' },
  );

  const dashboard = await context.newPage();
  await dashboard.goto(`${server.url}/dashboard`);
  await dashboard.getByLabel('Lead or admin token').fill(lead);
  await dashboard.getByRole('button', { name: 'Sign in' }).click();
  await dashboard.getByTestId('experiment-recipes').getByRole('button', { name: 'Metrics & audit' }).click();
  const cell = (arm: string, metric: string) => dashboard.getByTestId(`arm-row-${arm}`).locator(`[data-metric="${metric}"]`);
  const shownValue = async (arm: string, metric: string) => {
    const value = await cell(arm, metric).getAttribute('data-value');
    return value === '' || value === null ? null : Number(value);
  };
  const close = (actual: number | null, wanted: number | null | undefined) =>
    wanted === null || wanted === undefined ? expect(actual).toBeNull() : expect(actual).toBeCloseTo(wanted, 9);
  for (const want of expected.arms) {
    await expect(cell(want.arm, 'exposures')).toHaveText(want.exposures.toLocaleString('en-US'));
    close(await shownValue(want.arm, 'exposures'), want.exposures);
    close(await shownValue(want.arm, 'adopted'), want.adoption.adopted.rate);
    await expect(cell(want.arm, 'adopted')).toContainText(`${(want.adoption.adopted.rate! * 100).toFixed(1)}%`);
    await expect(cell(want.arm, 'adopted')).toContainText(`n=${want.adoption.adopted.n}`);
    close(await shownValue(want.arm, 'lift'), want.adoption.liftOverControl?.difference ?? null);
    close(await shownValue(want.arm, 'preference-wins'), want.preferenceWins.rate);
    close(await shownValue(want.arm, 'bradley-terry'), want.bradleyTerry);
    close(await shownValue(want.arm, 'precision-at-8'), want.precisionAt8.rate);
    close(await shownValue(want.arm, 'missing-knowledge'), want.missingKnowledge.rate);
    close(await shownValue(want.arm, 'time-to-send-p50'), want.timeToSend.p50);
    close(await shownValue(want.arm, 'time-to-send-p90'), want.timeToSend.p90);
  }
});

test("an admin's tenant settings reach the open overlay and lock the agent's options", async ({ context, page, server, extensionId }) => {
  const admin = await server.token('admin', { tenant: 'demo' });
  await page.goto(`${server.url}/demo/agent/tickets/1003`);
  await expect(candidates(page)).toHaveCount(2);
  const articles = overlay(page).getByRole('list', { name: 'Knowledge articles' });
  await expect(articles.getByRole('group', { name: /relevant\?$/ }).first()).toBeVisible();

  const put = await server.call('/v1/admin/tenant/settings', { method: 'PUT', token: admin, body: { redaction: 'strict', annotations: { relevance: false } } });
  expect(put.status).toBe(200);
  // Within the poll interval, without a reload: no relevance labels asked any more.
  await expect(articles.getByRole('group', { name: /relevant\?$/ })).toHaveCount(0, { timeout: 60_000 });

  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await expect(options.getByLabel('Redaction')).toHaveValue('strict');
  await expect(options.getByLabel('Redaction')).toBeDisabled();
  await expect(options.getByText('Set for your whole team by your Loopdesk admin')).toBeVisible();
});
