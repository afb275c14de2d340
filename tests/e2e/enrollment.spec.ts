/**
 * Enrollment in a real browser: the extension has an enrollment token and no token, reads who is
 * signed in on the demo helpdesk (its Zendesk-style /api/v2/users/me.json), enrolls once, keeps the
 * agent token and serves suggestions with it.
 *
 * A real policy is machine-wide (see policy.spec.ts, which runs alone); here the worker's
 * managed-storage read answers the policy instead, the one stand-in in this test.
 */
import type { Page } from '@playwright/test';
import { askBackgroundFrom } from '../support/browser';
import { expect, test } from './fixtures';

test('enrolls for the signed-in helpdesk agent, stores its own token and uses it', async ({ context, extensionId, server }) => {
  const admin = await server.token('admin', { tenant: 'demo', team: 'ops' });
  const created = await server.call('/v1/admin/enrollment-tokens', { token: admin, body: { team: 'support', maxUses: 5 } });
  expect(created.status).toBe(201);
  const policy = { serverUrl: server.url, enrollmentToken: created.body.token };

  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  await worker.evaluate((managed) => {
    const area = (globalThis as unknown as { chrome: { storage: { managed: { get: () => Promise<unknown> } } } }).chrome.storage.managed;
    area.get = async () => managed;
  }, policy);

  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByTestId('enrollment')).toHaveText(/^Enrolling: open your helpdesk/);

  const page = await context.newPage();
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  await expect(page.locator('[data-test-id="demo-current-agent"]')).toHaveAttribute('title', 'Demo Agent (agent@demo.loopdesk.dev)');
  await expect
    .poll(async () => (await askBackgroundFrom<{ state: string }>(popup, { type: 'enrollment-status' })).state, { timeout: 15_000 })
    .toBe('enrolled');
  await popup.reload();
  await expect(popup.getByTestId('enrollment')).toHaveText('Enrolled as Demo Agent (zendesk:90001), team support of demo.');

  // Suggestions go out with the agent's own token, so the server attributes them to that agent.
  await openTicket(page, `${server.url}/demo/agent/tickets/1002`);
  const rows = await server.database.query<{ name: string }>(
    'select a.name from suggestions s join agents a on a.id = s.agent_id order by s.created_at desc limit 1',
  );
  expect(rows[0]?.name).toBe('zendesk:90001');
  // Stored in storage.local beside (not in) the agent's own settings, with the enrollment token only as its hash.
  const local = await popup.evaluate(() => (globalThis as unknown as { chrome: { storage: { local: { get(): Promise<Record<string, unknown>> } } } }).chrome.storage.local.get());
  expect(local.enrollment).toMatchObject({ status: 'enrolled', agent: 'zendesk:90001', token: expect.stringMatching(/^ld_/) });
  expect(JSON.stringify(local.enrollment)).not.toContain(created.body.token);
  expect(JSON.stringify(local.settings ?? {})).not.toContain('ld_');

  // One enrollment for the browser, however many pages were opened.
  const listed = (await server.call('/v1/admin/enrollment-tokens', { token: admin })).body.enrollmentTokens;
  expect(listed[0]).toMatchObject({ id: created.body.id, uses: 1 });

  // An admin revokes the agent's token: the next suggestion is refused, and the browser says so
  // instead of enrolling itself back in.
  const { tokens } = (await server.call('/v1/admin/tokens', { token: admin })).body as { tokens: { id: string; agent: string }[] };
  const enrolled = tokens.find((t) => t.agent === 'zendesk:90001')!;
  expect((await server.call(`/v1/admin/tokens/${enrolled.id}`, { method: 'DELETE', token: admin })).status).toBe(204);
  await page.goto(`${server.url}/demo/agent/tickets/1003`);
  await expect(page.getByRole('complementary', { name: 'Loopdesk suggestions' })).toContainText('was revoked', { timeout: 15_000 });
  await popup.reload();
  await expect(popup.getByTestId('enrollment')).toHaveText(/token \(zendesk:90001\) was revoked/);
  expect((await server.call('/v1/admin/enrollment-tokens', { token: admin })).body.enrollmentTokens[0].uses).toBe(1);
});

async function openTicket(page: Page, url: string) {
  await page.goto(url);
  const overlay = page.getByRole('complementary', { name: 'Loopdesk suggestions' });
  await expect(overlay.getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2, { timeout: 15_000 });
}
