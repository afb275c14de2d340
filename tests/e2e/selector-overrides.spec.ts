import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

/**
 * A helpdesk release renames the hooks Loopdesk relies on (the demo's `?ui=next`): the overlay says
 * it is unavailable instead of breaking the page, the miss is logged on the server, and an admin's
 * selector override brings it back for the agent without a new extension release.
 */
const overlay = (page: Page) => page.getByRole('complementary', { name: 'Loopdesk suggestions' });

test('a renamed hook degrades to "unavailable", is reported, and a server-side override repairs it', async ({ page, server }) => {
  await page.goto(`${server.url}/demo/agent/tickets/1001?ui=next`);
  await expect(overlay(page).getByRole('alert')).toHaveText('Loopdesk is unavailable on this page: the ticket was not found.');
  // The helpdesk itself still works: the agent can write and send.
  const composer = page.locator('[data-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]');
  await composer.click();
  await page.keyboard.type('Replying without Loopdesk still works.');
  await page.locator('[data-active="true"] button[data-test-id="submit_button-button"]').click();
  await expect(page.locator('[data-active="true"] [data-test-id="omni-log-container"] article').last()).toContainText('without Loopdesk');

  const lead = await server.token('lead', { tenant: 'demo' });
  await expect
    .poll(async () => (await server.call('/v1/admin/selector-misses', { token: lead })).body.misses)
    .toEqual([expect.objectContaining({ helpdesk: 'zendesk', key: 'activePane', overridden: false, count: 1 })]);

  const admin = await server.token('admin', { tenant: 'demo' });
  const put = await server.call('/v1/admin/helpdesks/zendesk/selectors', {
    method: 'PUT',
    token: admin,
    body: { selectors: { activePane: ['[data-ticket-pane-id="{ticketId}"][data-active="true"]'] } },
  });
  expect(put.status).toBe(200);

  // The agent's next page load picks the fix up; the same extension build now works on the new UI.
  await page.goto(`${server.url}/demo/agent/tickets/1002?ui=next`);
  await expect(overlay(page)).toHaveAttribute('data-ticket-id', '1002');
  await expect(overlay(page).getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2);
  await expect(overlay(page).getByRole('alert')).toHaveCount(0);
});
