import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { expect, test, waitForEvents } from './fixtures';

/**
 * The agent's annotations through the overlay on the Zendesk-style demo: the "why not" prompt, missing
 * knowledge, keyboard shortcuts, the fallback send signal, and the overlay's manners (accessible,
 * inert ticket content, the page's own colour scheme, nothing outside its panel restyled).
 */
const ticketUrl = (server: { url: string }, id: number) => `${server.url}/demo/agent/tickets/${id}`;
const overlay = (page: Page): Locator => page.getByRole('complementary', { name: 'Loopdesk suggestions' });
const activePane = (page: Page) => page.locator('[data-is-active="true"]');
const composer = (page: Page) => activePane(page).locator('[data-test-id="omnicomposer-rich-text-ckeditor"]');
const thread = (page: Page) => activePane(page).locator('[data-test-id="omni-log-container"] article');

async function openTicket(page: Page, url: string, ticketId: number) {
  await page.goto(url);
  await expect(overlay(page)).toHaveAttribute('data-ticket-id', String(ticketId));
  await expect(overlay(page).getByRole('region', { name: /^Suggested reply/ })).toHaveCount(2);
  await expect(overlay(page).locator('[data-state="final"]')).toHaveCount(2);
}

async function writeAndSend(page: Page, text: string) {
  await composer(page).click();
  await page.keyboard.type(text);
  await activePane(page).locator('button[data-test-id="submit_button-button"]').click();
  await expect(thread(page).last()).toContainText(text.slice(0, 30));
}

test('a reply written from scratch asks why once per ticket; the reasons travel with the adoption event', async ({ page, server }) => {
  await openTicket(page, ticketUrl(server, 1010), 1010);
  await writeAndSend(page, 'Thanks for waiting, I have escalated this to our warehouse team and will update you tomorrow.');

  const prompt = overlay(page).getByRole('form', { name: 'Why not the suggestion' });
  await expect(prompt).toContainText('Why were the suggestions not used?');
  await prompt.getByRole('button', { name: 'Missing information' }).click();
  await prompt.getByRole('button', { name: 'Other' }).click();
  await prompt.getByLabel('What else?').fill('Needs the courier tracking link');
  await prompt.getByRole('button', { name: 'Send reason' }).click();
  await expect(overlay(page).getByText('Thanks — noted with this reply.')).toBeVisible();

  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1010']);
  expect(adoption!.payload).toMatchObject({
    outcome: 'not_used',
    sendPath: 'button',
    rationale: { codes: ['missing_information', 'other'], text: 'Needs the courier tracking link' },
  });

  // Remembered for this ticket, across a page load: the next reply goes without a question.
  await openTicket(page, ticketUrl(server, 1010), 1010);
  await writeAndSend(page, 'One more update: the parcel left our warehouse this morning.');
  await expect(overlay(page).getByText(/Reply sent — recorded as not used/)).toBeVisible();
  await expect(overlay(page).getByRole('form', { name: 'Why not the suggestion' })).toHaveCount(0);
  const adoptions = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1010'], 2);
  expect(adoptions[1]!.payload.rationale).toBeUndefined();
});

test('skipping the question sends the adoption event at once, marked as skipped', async ({ page, server }) => {
  await openTicket(page, ticketUrl(server, 1014), 1014);
  await writeAndSend(page, 'I have cancelled your trial, nothing further will be charged.');
  await overlay(page).getByRole('form', { name: 'Why not the suggestion' }).getByRole('button', { name: 'Skip' }).click();
  await expect(overlay(page).getByRole('form', { name: 'Why not the suggestion' })).toHaveCount(0);
  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1014']);
  expect(adoption!.payload).toMatchObject({ outcome: 'not_used', rationale: { codes: [] } });
});

test('missing knowledge: two clicks and the text, or the keyboard shortcut', async ({ page, server }) => {
  await openTicket(page, ticketUrl(server, 1008), 1008);
  await overlay(page).getByRole('button', { name: 'The KB lacks this…' }).click();
  const form = overlay(page).getByRole('form', { name: 'Report missing knowledge' });
  await form.getByLabel('What is missing?').fill('Volume pricing for buildings with more than 20 units; write to bulk@example.com');
  await form.getByLabel('Proposed article title').fill('Pricing for apartment buildings');
  await form.getByRole('button', { name: 'Report' }).click();
  await expect(overlay(page).getByRole('status').filter({ hasText: 'Missing knowledge reported' })).toBeVisible();

  // Alt+Shift+K opens the form with the cursor in it.
  await page.keyboard.press('Alt+Shift+K');
  await expect(form.getByLabel('What is missing?')).toBeFocused();
  await page.keyboard.type('Installer network for commercial sites');
  await form.getByRole('button', { name: 'Report' }).click();

  const rows = await waitForEvents(server, `type = 'knowledge.missing' and ticket_id = $1`, ['1008'], 2);
  expect(rows[0]!.payload).toMatchObject({
    description: 'Volume pricing for buildings with more than 20 units; write to [email]',
    proposedTitle: 'Pricing for apartment buildings',
  });
  expect(rows[1]!.payload.description).toBe('Installer network for commercial sites');
  expect(rows[1]!.payload.proposedTitle).toBeUndefined();
});

test('keyboard shortcuts: prefer, insert, and collapse without the mouse', async ({ page, server }) => {
  await openTicket(page, ticketUrl(server, 1001), 1001);
  await composer(page).click();
  await page.keyboard.press('Alt+Shift+B');
  await expect(overlay(page).getByRole('button', { name: 'B better', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Alt+Shift+1');
  await expect(composer(page)).toContainText('Hi there');
  await page.keyboard.press('Alt+Shift+L');
  await expect(page.getByRole('button', { name: 'Open Loopdesk' })).toBeVisible();
  await page.keyboard.press('Alt+Shift+L');
  await expect(overlay(page)).toBeVisible();
  const [preference] = await waitForEvents(server, `type = 'preference' and ticket_id = $1`, ['1001']);
  expect(preference!.payload).toMatchObject({ choice: 'B_better', bothUnusable: false });
});

test('a reply sent by a path no listener knows is still recorded, when it appears in the thread', async ({ page, server }) => {
  await openTicket(page, ticketUrl(server, 1002), 1002);
  const candidateA = overlay(page).getByRole('region', { name: 'Suggested reply A' });
  const candidateId = await candidateA.getAttribute('data-candidate-id');
  await candidateA.getByRole('button', { name: 'Insert A' }).click();
  // Zendesk's "submit as pending" shortcut: the adapter does not listen for it.
  await composer(page).click();
  await page.keyboard.press('Control+Alt+P');
  await expect(activePane(page).locator('[data-cy-test-id="status-badge-state"]')).toHaveText(/pending/i);
  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1002']);
  expect(adoption!.payload).toMatchObject({ outcome: 'verbatim', candidateId, insertMethod: 'insert', sendPath: 'comment_appeared' });
  // Sent once, recorded once: a later look at the same thread adds nothing.
  await page.waitForTimeout(1_000);
  expect(await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1002'])).toHaveLength(1);
});

test('hostile ticket content stays text: nothing runs, nothing in the overlay renders as markup', async ({ page, server }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await openTicket(page, ticketUrl(server, 1007), 1007);
  await expect(thread(page).first()).toContainText('<img src=x onerror=alert(1)>');
  // The overlay's shadow root holds no element built from ticket or server text.
  const injected = await page.evaluate(() => {
    const root = document.querySelector('loopdesk-overlay')?.shadowRoot;
    return root ? root.querySelectorAll('img, script, iframe, object, embed').length : -1;
  });
  expect(injected).toBe(0);
  await page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
});

test('the overlay passes an automated accessibility scan with every annotation control open', async ({ page, server }) => {
  await openTicket(page, ticketUrl(server, 1010), 1010);
  await overlay(page).getByRole('button', { name: 'The KB lacks this…' }).click();
  await writeAndSend(page, 'Thanks for waiting, I have escalated this to our warehouse team.');
  await expect(overlay(page).getByRole('form', { name: 'Why not the suggestion' })).toBeVisible();
  const results = await new AxeBuilder({ page }).include('loopdesk-overlay').analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  // Tab order: the first focusable control in the panel is its collapse button, then reply A's Insert.
  await overlay(page).getByRole('button', { name: 'Collapse Loopdesk' }).focus();
  await page.keyboard.press('Tab');
  await expect(overlay(page).getByRole('button', { name: 'Insert A' })).toBeFocused();
});

test('the overlay follows the page’s dark scheme and leaves the helpdesk’s own layout and styles alone', async ({ context, page, server }) => {
  // The same page without Loopdesk's panel, for comparison: positions of the helpdesk's own controls.
  const positions = async (p: Page) =>
    p.evaluate(() =>
      ['[data-test-id="omni-header-subject"]', '[data-test-id="omnicomposer-rich-text-ckeditor"]', 'button[data-test-id="submit_button-button"]'].map((s) => {
        const r = document.querySelector(`[data-is-active="true"] ${s}`)!.getBoundingClientRect();
        return [s, Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
      }),
    );
  await page.emulateMedia({ colorScheme: 'dark' });
  await openTicket(page, ticketUrl(server, 1001), 1001);
  await expect(overlay(page)).toHaveAttribute('data-theme', 'dark');
  const panelBackground = await overlay(page).evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(panelBackground).toBe('rgb(29, 35, 42)');
  const withOverlay = await positions(page);
  const documentStyles = await page.evaluate(() => [...document.querySelectorAll('style, link[rel="stylesheet"]')].map((s) => s.textContent ?? '').join('\n'));
  expect(documentStyles).not.toContain('.ld-');

  await page.evaluate(() => document.querySelector('loopdesk-overlay')?.remove());
  expect(await positions(page)).toEqual(withOverlay);

  await page.emulateMedia({ colorScheme: 'light' });
  const light = await context.newPage();
  await openTicket(light, ticketUrl(server, 1001), 1001);
  await expect(overlay(light)).toHaveAttribute('data-theme', 'light');
});

test('the two replies sit side by side on a wide screen and stack when the window is narrow', async ({ page, server }) => {
  const boxes = async () => {
    const regions = overlay(page).getByRole('region', { name: /^Suggested reply/ });
    return [(await regions.nth(0).boundingBox())!, (await regions.nth(1).boundingBox())!];
  };
  await page.setViewportSize({ width: 1920, height: 1000 });
  await openTicket(page, ticketUrl(server, 1001), 1001);
  let [a, b] = await boxes();
  expect(Math.round(a!.y)).toBe(Math.round(b!.y));
  expect(b!.x).toBeGreaterThan(a!.x + a!.width - 1);
  await page.setViewportSize({ width: 1100, height: 900 });
  await expect
    .poll(async () => {
      [a, b] = await boxes();
      return b!.y >= a!.y + a!.height - 1;
    })
    .toBe(true);
  expect(Math.round(a!.x)).toBe(Math.round(b!.x));
});

test('Copy in the overlay, paste into the composer, send: adoption by paste', async ({ context, page, server }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await openTicket(page, ticketUrl(server, 1004), 1004);
  const candidateB = overlay(page).getByRole('region', { name: 'Suggested reply B' });
  const candidateId = await candidateB.getAttribute('data-candidate-id');
  await candidateB.getByRole('button', { name: 'Copy' }).click();
  await composer(page).click();
  await page.keyboard.press('Control+V');
  await expect(composer(page)).toContainText('Hi there');
  await activePane(page).locator('button[data-test-id="submit_button-button"]').click();
  const [adoption] = await waitForEvents(server, `type = 'adoption' and ticket_id = $1`, ['1004']);
  expect(adoption!.payload).toMatchObject({ outcome: 'verbatim', candidateId, insertMethod: 'paste', sendPath: 'button' });
});
