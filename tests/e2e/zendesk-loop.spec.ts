import type { Locator, Page } from '@playwright/test';
import { expect, test, waitForEvents } from './fixtures';
import { defineAnnotationTest } from './helpdesk-loop';

const TICKET_URL = (server: { url: string }, id: number) => `${server.url}/demo/agent/tickets/${id}`;

function overlay(page: Page): Locator {
  return page.getByRole('complementary', { name: 'Loopdesk suggestions' });
}

function activePane(page: Page): Locator {
  return page.locator('[data-is-active="true"]');
}

function composer(page: Page): Locator {
  return activePane(page).locator('[data-test-id="omnicomposer-rich-text-ckeditor"]');
}

/** Opens a ticket and waits for both candidates and the articles behind them. */
async function openTicket(page: Page, url: string, ticketId: number) {
  await page.goto(url);
  await expect(overlay(page)).toHaveAttribute('data-ticket-id', String(ticketId));
  await expect(overlay(page).getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2);
  await expect(overlay(page).getByRole('list', { name: 'Knowledge articles' }).getByRole('listitem').first()).toBeVisible();
}

/** Puts the cursor at the end of the draft and types, as an agent editing the suggestion would. */
async function typeAtEnd(page: Page, text: string) {
  await composer(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

const EDIT = ' One more thing: if the problem continues after these steps, reply with a photo of the display and we will arrange a replacement.';

test('Insert A, edit in CKEditor, send with the button: the server stores an edited adoption', async ({ page, server }) => {
  await openTicket(page, TICKET_URL(server, 1001), 1001);
  const candidateA = overlay(page).getByRole('region', { name: 'Suggested reply A' });
  const candidateId = await candidateA.getAttribute('data-candidate-id');
  await candidateA.getByRole('button', { name: 'Insert A' }).click();
  await expect(composer(page)).toContainText('Hi there');
  await typeAtEnd(page, EDIT);
  await activePane(page).locator('button[data-test-id="submit_button-button"]').click();
  // The helpdesk posted it: it appears in the conversation.
  await expect(activePane(page).locator('[data-test-id="omni-log-container"] article').last()).toContainText('arrange a replacement');

  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1001']);
  expect(adoption!.payload).toMatchObject({
    outcome: 'edited',
    candidateId,
    insertMethod: 'insert',
    sendPath: 'button',
    helpdesk: 'zendesk',
  });
  expect(adoption!.payload.finalText).toContain('arrange a replacement');
  expect(adoption!.payload.similarity).toBeGreaterThan(0.55);
  expect(adoption!.payload.similarity).toBeLessThan(0.9);
  // The exposure that makes rates possible reached the server too, for the same suggestion.
  const [shown] = await waitForEvents(server, `type = 'suggestion.shown' and suggestion_id = $1`, [adoption!.suggestion_id]);
  expect(shown!.payload.candidates.map((c: { side: string }) => c.side).sort()).toEqual(['left', 'right']);
});

test('Insert B, edit, send with Ctrl+Enter: the shortcut counts as a send', async ({ page, server }) => {
  await openTicket(page, TICKET_URL(server, 1002), 1002);
  const candidateB = overlay(page).getByRole('region', { name: 'Suggested reply B' });
  const candidateId = await candidateB.getAttribute('data-candidate-id');
  await candidateB.getByRole('button', { name: 'Insert B' }).click();
  await typeAtEnd(page, EDIT);
  await page.keyboard.press('Control+Enter');
  await expect(activePane(page).locator('[data-test-id="omni-log-container"] article').last()).toContainText('arrange a replacement');

  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1002']);
  expect(adoption!.payload).toMatchObject({ outcome: 'edited', candidateId, insertMethod: 'insert', sendPath: 'shortcut' });
});

test('a reply written from scratch and sent from the status menu is recorded as not used', async ({ page, server }) => {
  await openTicket(page, TICKET_URL(server, 1010), 1010);
  await composer(page).click();
  await page.keyboard.type('Thanks for waiting, I have escalated this to our warehouse team and will update you tomorrow.');
  await activePane(page).locator('[data-test-id="submit_button-menu-button"]').click();
  await activePane(page).locator('[data-garden-id="menus.item"][data-status="pending"]').click();
  await expect(activePane(page).locator('[data-cy-test-id="status-badge-state"]')).toHaveText(/pending/i);

  // Not using the suggestions prompts a "why not"; skipping it releases the event at once.
  await overlay(page).getByRole('form', { name: 'Why not the suggestion' }).getByRole('button', { name: 'Skip' }).click();
  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1010']);
  expect(adoption!.payload).toMatchObject({ outcome: 'not_used', candidateId: null, insertMethod: null, sendPath: 'status_menu' });
});

test('relevance and preference are one click each and reach the server', async ({ page, server }) => {
  await openTicket(page, TICKET_URL(server, 1005), 1005);
  const firstArticle = overlay(page).getByRole('list', { name: 'Knowledge articles' }).getByRole('listitem').first();
  const articleId = await firstArticle.getAttribute('data-article-id');
  await firstArticle.getByRole('button', { name: 'Relevant', exact: true }).click();
  await expect(firstArticle.getByRole('button', { name: 'Relevant', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await overlay(page).getByRole('button', { name: 'B slightly better' }).click();

  const [relevance] = await waitForEvents(server, `type = 'knowledge.relevance' and ticket_id = $1`, ['1005']);
  expect(relevance!.payload).toMatchObject({ articleId, rank: 1, label: 'relevant' });
  const [preference] = await waitForEvents(server, `type = 'preference' and ticket_id = $1`, ['1005']);
  const shownB = await overlay(page).getByRole('region', { name: 'Suggested reply B' }).getAttribute('data-candidate-id');
  expect(preference!.payload).toMatchObject({ choice: 'B_slightly_better', candidateB: shownB, bothUnusable: false });
});

test('switching tickets without a reload shows the new ticket’s suggestions', async ({ page, server }) => {
  await openTicket(page, TICKET_URL(server, 1001), 1001);
  const firstTexts = await overlay(page).getByRole('region', { name: /^Suggested reply/ }).allTextContents();
  await page.evaluate(() => ((window as unknown as { loopdeskMarker: number }).loopdeskMarker = 1));

  await page.locator('nav a[data-ticket-id="1014"]').click();
  await expect(page).toHaveURL(/\/tickets\/1014$/);
  await expect(overlay(page)).toHaveAttribute('data-ticket-id', '1014');
  await expect(overlay(page).getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2);
  expect(await page.evaluate(() => (window as unknown as { loopdeskMarker?: number }).loopdeskMarker)).toBe(1);
  const secondTexts = await overlay(page).getByRole('region', { name: /^Suggested reply/ }).allTextContents();
  expect(secondTexts).not.toEqual(firstTexts);
  // Both tickets' panes stay mounted; only one is active.
  await expect(page.locator('[data-side-conversations-anchor-id]')).toHaveCount(2);
  await expect(page.locator('[data-is-active="true"]')).toHaveCount(1);

  const shown = await waitForEvents(server, `type = 'suggestion.shown'`, [], 2);
  expect(new Set(shown.map((r) => r.ticket_id))).toEqual(new Set(['1001', '1014']));
});

// Every annotation type on the Zendesk-style page, as on the other two helpdesks' pages.
defineAnnotationTest({
  helpdesk: 'zendesk',
  url: TICKET_URL,
  path: (id) => new RegExp(`/demo/agent/tickets/${id}$`),
  composer,
  sendButton: (page) => activePane(page).locator('button[data-test-id="submit_button-button"]'),
  sendMenuButton: (page) => activePane(page).locator('[data-test-id="submit_button-menu-button"]'),
  sendMenuItem: (page, status) => activePane(page).locator(`[data-garden-id="menus.item"][data-status="${status}"]`),
  newestReply: (page) => activePane(page).locator('[data-test-id="omni-log-container"] article').last(),
  status: (page) => activePane(page).locator('[data-cy-test-id="status-badge-state"]'),
  pending: /pending/i,
  ticketLink: (page, id) => page.locator(`nav a[data-ticket-id="${id}"]`),
});
