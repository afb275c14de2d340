/**
 * The agent's loop on a demo helpdesk page other than Zendesk's, in Chromium with the built
 * extension: open a ticket, two candidates appear, Insert A, edit, send by each of the three send
 * paths, and read the adoption event back from the server's database; and follow in-app navigation
 * to another ticket. freshdesk-loop.spec.ts and helpscout-loop.spec.ts run it with their page's hooks.
 */
import type { Locator, Page } from '@playwright/test';
import type { TestServer } from '../support/server';
import { expect, test, waitForEvents } from './fixtures';

export interface LoopPage {
  helpdesk: 'zendesk' | 'freshdesk' | 'helpscout';
  url(server: TestServer, ticketId: number): string;
  /** URL path of a ticket, as the address bar shows it after in-app navigation. */
  path: (ticketId: number) => RegExp;
  composer(page: Page): Locator;
  sendButton(page: Page): Locator;
  sendMenuButton(page: Page): Locator;
  sendMenuItem(page: Page, status: 'open' | 'pending' | 'solved'): Locator;
  /** The reply the agent just sent, once the page shows it in the thread. */
  newestReply(page: Page): Locator;
  /** The ticket's status as the page shows it, and how it names "pending". */
  status(page: Page): Locator;
  pending: RegExp;
  ticketLink(page: Page, ticketId: number): Locator;
}

function overlay(page: Page): Locator {
  return page.getByRole('complementary', { name: 'Loopdesk suggestions' });
}

const candidates = (page: Page) => overlay(page).getByRole('region', { name: /^Suggested reply/ });

async function waitForSuggestions(page: Page, ticketId: number) {
  await expect(overlay(page)).toHaveAttribute('data-ticket-id', String(ticketId));
  await expect(candidates(page)).toHaveCount(2);
  await expect(overlay(page).getByRole('list', { name: 'Knowledge articles' }).getByRole('listitem').first()).toBeVisible();
}

const EDIT = ' One more thing: if the problem continues after these steps, reply with a photo of the display and we will arrange a replacement.';

/** Inserts reply A into the empty composer and types an edit at its end; answers A's candidate id. */
async function insertAAndEdit(page: Page, lp: LoopPage): Promise<string> {
  const candidateA = overlay(page).getByRole('region', { name: 'Suggested reply A' });
  const candidateId = (await candidateA.getAttribute('data-candidate-id'))!;
  await candidateA.getByRole('button', { name: 'Insert A' }).click();
  await expect(lp.composer(page)).toContainText('Hi there');
  await lp.composer(page).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(EDIT);
  return candidateId;
}

async function adoptionOf(server: TestServer, ticketId: number) {
  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, [String(ticketId)]);
  return adoption!;
}

/** Waits for the ticket's adoption event and checks it records reply A, inserted, edited and sent by `sendPath`. */
async function expectEditedAdoption(server: TestServer, lp: LoopPage, ticketId: number, candidateId: string, sendPath: 'button' | 'shortcut' | 'status_menu') {
  const adoption = await adoptionOf(server, ticketId);
  expect(adoption.payload).toMatchObject({
    helpdesk: lp.helpdesk,
    ticketId: String(ticketId),
    outcome: 'edited',
    candidateId,
    insertMethod: 'insert',
    sendPath,
  });
  return adoption;
}

/** Opens the ticket, inserts reply A with an edit, sends it with `send` and waits for the page to show it; answers A's candidate id. */
async function insertAEditAndSend(page: Page, server: TestServer, lp: LoopPage, ticketId: number, send: () => Promise<void>): Promise<string> {
  await page.goto(lp.url(server, ticketId));
  await waitForSuggestions(page, ticketId);
  const candidateId = await insertAAndEdit(page, lp);
  await send();
  await expect(lp.newestReply(page)).toContainText('arrange a replacement');
  return candidateId;
}

export function defineLoopTests(lp: LoopPage) {
  test(`${lp.helpdesk}: Insert A, edit, send with the button: an edited adoption is stored`, async ({ page, server }) => {
    const candidateId = await insertAEditAndSend(page, server, lp, 1001, () => lp.sendButton(page).click());
    const adoption = await expectEditedAdoption(server, lp, 1001, candidateId, 'button');
    expect(adoption.payload.finalText).toContain('arrange a replacement');
    expect(adoption.payload.similarity).toBeGreaterThan(0.55);
    expect(adoption.payload.similarity).toBeLessThan(0.9);
    const [shown] = await waitForEvents(server, `type = 'suggestion.shown' and suggestion_id = $1`, [adoption.suggestion_id]);
    expect(shown!.payload).toMatchObject({ helpdesk: lp.helpdesk, ticketId: '1001' });
  });

  test(`${lp.helpdesk}: Insert A, edit, send with Ctrl+Enter: the shortcut counts as a send`, async ({ page, server }) => {
    const candidateId = await insertAEditAndSend(page, server, lp, 1002, () => page.keyboard.press('Control+Enter'));
    await expectEditedAdoption(server, lp, 1002, candidateId, 'shortcut');
  });

  test(`${lp.helpdesk}: the overlay follows in-app navigation; send from the status menu on the second ticket`, async ({ page, server }) => {
    await page.goto(lp.url(server, 1001));
    await waitForSuggestions(page, 1001);
    const firstTexts = await candidates(page).allTextContents();
    await page.evaluate(() => ((window as unknown as { loopdeskMarker: number }).loopdeskMarker = 1));

    await lp.ticketLink(page, 1003).click();
    await expect(page).toHaveURL(lp.path(1003));
    await waitForSuggestions(page, 1003);
    // No page load happened, and the suggestions are the new ticket's.
    expect(await page.evaluate(() => (window as unknown as { loopdeskMarker?: number }).loopdeskMarker)).toBe(1);
    expect(await candidates(page).allTextContents()).not.toEqual(firstTexts);

    const candidateId = await insertAAndEdit(page, lp);
    await lp.sendMenuButton(page).click();
    await lp.sendMenuItem(page, 'pending').click();
    await expect(lp.newestReply(page)).toContainText('arrange a replacement');
    await expect(lp.status(page)).toHaveText(lp.pending);

    await expectEditedAdoption(server, lp, 1003, candidateId, 'status_menu');
    const shown = await waitForEvents(server, `type = 'suggestion.shown'`, [], 2);
    expect(new Set(shown.map((r) => r.ticket_id))).toEqual(new Set(['1001', '1003']));
    expect(new Set(shown.map((r) => r.payload.helpdesk))).toEqual(new Set([lp.helpdesk]));
  });
}

/**
 * Every annotation type, made through the overlay the way an agent would on this helpdesk's page,
 * and read back from the server's database with its fields.
 */
export function defineAnnotationTest(lp: LoopPage) {
  test(`${lp.helpdesk}: preference, relevance, missing knowledge and adoption with its rationale reach the server`, async ({ page, server }) => {
    await page.goto(lp.url(server, 1008));
    await waitForSuggestions(page, 1008);
    const panel = overlay(page);
    const shownB = await panel.getByRole('region', { name: 'Suggested reply B' }).getAttribute('data-candidate-id');
    await expect(panel.locator('[data-state="final"]')).toHaveCount(2);

    // 1. Pairwise preference.
    await panel.getByRole('button', { name: 'B slightly better' }).click();
    // 2. Knowledge relevance of the first article.
    const firstArticle = panel.getByRole('list', { name: 'Knowledge articles' }).getByRole('listitem').first();
    const articleId = await firstArticle.getAttribute('data-article-id');
    await firstArticle.getByRole('button', { name: 'Partly', exact: true }).click();
    // 3. Missing knowledge.
    await panel.getByRole('button', { name: 'The KB lacks this…' }).click();
    const missing = panel.getByRole('form', { name: 'Report missing knowledge' });
    await missing.getByLabel('What is missing?').fill('Volume pricing for buildings with more than 20 units');
    await missing.getByLabel('Proposed article title').fill('Pricing for apartment buildings');
    await missing.getByRole('button', { name: 'Report' }).click();
    await expect(panel.getByText('Missing knowledge reported — thank you.')).toBeVisible();
    // 4. Adoption: a reply written from scratch, then the reason why.
    await lp.composer(page).click();
    await page.keyboard.type('Thanks for asking! Our sales team will send you a quote for the building this week.');
    await lp.sendButton(page).click();
    await expect(lp.newestReply(page)).toContainText('quote for the building');
    const why = panel.getByRole('form', { name: 'Why not the suggestion' });
    await why.getByRole('button', { name: 'Policy' }).click();
    await why.getByRole('button', { name: 'Send reason' }).click();

    const ticket = ['1008'];
    const [preference] = await waitForEvents(server, `type = 'preference' and ticket_id = $1`, ticket);
    expect(preference!.payload).toMatchObject({ helpdesk: lp.helpdesk, choice: 'B_slightly_better', candidateB: shownB, bothUnusable: false });
    const [relevance] = await waitForEvents(server, `type = 'knowledge.relevance' and ticket_id = $1`, ticket);
    expect(relevance!.payload).toMatchObject({ helpdesk: lp.helpdesk, articleId, rank: 1, label: 'partly' });
    const [gap] = await waitForEvents(server, `type = 'knowledge.missing' and ticket_id = $1`, ticket);
    expect(gap!.payload).toMatchObject({
      helpdesk: lp.helpdesk,
      description: 'Volume pricing for buildings with more than 20 units',
      proposedTitle: 'Pricing for apartment buildings',
    });
    const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ticket);
    expect(adoption!.payload).toMatchObject({
      helpdesk: lp.helpdesk,
      outcome: 'not_used',
      candidateId: null,
      sendPath: 'button',
      rationale: { codes: ['policy'] },
    });
    expect(adoption!.payload.finalText).toContain('quote for the building');
    // All four refer to the suggestion the agent saw, whose exposure was recorded.
    const suggestionIds = new Set([preference, relevance, gap, adoption].map((r) => r!.suggestion_id));
    expect(suggestionIds.size).toBe(1);
    await waitForEvents(server, `type = 'suggestion.shown' and suggestion_id = $1`, [...suggestionIds]);
  });
}
