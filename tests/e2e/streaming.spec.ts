import type { Locator, Page } from '@playwright/test';
import type { GenerationRecord } from '../../server/generation';
import { startFakeOpenAI, type ChatMessage, type FakeOpenAI, type RecordedRequest } from '../support/fake-openai';
import { startTestServer, type TestServer } from '../support/server';
import { expect, test as base, waitForEvents } from './fixtures';

interface LlmFixtures {
  fake: FakeOpenAI;
  llmTimeoutMs: number;
}

/** The demo server, but with generation by a local fake model instead of the extractive generator. */
const test = base.extend<LlmFixtures>({
  llmTimeoutMs: [8_000, { option: true }],
  fake: async ({}, use) => {
    const fake = await startFakeOpenAI();
    await use(fake);
    await fake.close();
  },
  server: async ({ fake, llmTimeoutMs }, use) => {
    const server: TestServer = await startTestServer('pglite', {
      demo: true,
      env: { LOOPDESK_LLM_BASE_URL: fake.url, LOOPDESK_LLM_MODEL: 'fake-llm', LOOPDESK_LLM_TIMEOUT_MS: String(llmTimeoutMs) },
    });
    await use(server);
    await server.close();
  },
});

const overlay = (page: Page): Locator => page.getByRole('complementary', { name: 'Loopdesk suggestions' });
const cards = (page: Page): Locator => overlay(page).getByRole('region', { name: /^Suggested reply/ });
const isArmA = (r: RecordedRequest) => (r.body.messages as ChatMessage[])[0]!.content.includes('Be brief');

/** Cites the first two articles it was given, and one it was not. */
function citedReply(messages: ChatMessage[]): string {
  const given = [...messages[1]!.content.matchAll(/^\[(\d+)\] /gm)].map((m) => m[1]);
  return `Thanks for getting in touch. Please try the steps from our guide [${given[0]}]. If that does not help, this article explains more [${given[1]}]. Our made-up policy covers it too [42].`;
}

test('the overlay shows the reply while it streams, then the full reply with checked citations', async ({ page, server, fake }) => {
  fake.setBehaviour({ reply: citedReply, firstTokenDelayMs: 300, tokenDelayMs: 90 });
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  await expect(cards(page)).toHaveCount(2);

  // Part of the reply is on screen while the rest is still being written, and it cannot be inserted yet.
  const card = cards(page).first();
  await expect(card).toHaveAttribute('data-state', 'streaming');
  await expect(card).toContainText('Thanks for getting in touch.');
  const partial = (await card.locator('.ld-candidate-text').textContent()) ?? '';
  await expect(card).toHaveAttribute('data-state', 'streaming');
  expect(partial).not.toContain('explains more');
  await expect(card.getByRole('button', { name: /^Insert / })).toBeDisabled();

  // Then the whole reply, with the citation of an article it was not given removed.
  await expect(card).toHaveAttribute('data-state', 'final', { timeout: 20_000 });
  const final = (await card.locator('.ld-candidate-text').textContent()) ?? '';
  expect(final.startsWith(partial)).toBe(true);
  expect(final).toMatch(/^Thanks for getting in touch\. Please try the steps from our guide \[1\]\. If that does not help, this article explains more \[2\]\. Our made-up policy covers it too\.$/);
  await expect(card).toContainText('cites [1] [2]');
  await expect(card.getByRole('button', { name: /^Insert / })).toBeEnabled();
  await expect(overlay(page).getByRole('note')).toHaveCount(0);

  // The exposure is recorded once, with the final candidates and the model that wrote them.
  const [shown] = await waitForEvents(server, `type = 'suggestion.shown' and ticket_id = $1`, ['1001']);
  expect(shown!.payload.candidates.map((c: { model: string }) => c.model)).toEqual(['fake-llm', 'fake-llm']);
  const [row] = await server.database.query<{ generation: GenerationRecord[] }>('select generation from suggestions where id = $1', [
    shown!.suggestion_id,
  ]);
  expect(row!.generation.map((g) => g.invalidCitations)).toEqual([1, 1]);
});

test.describe('when the model fails', () => {
  test.use({ llmTimeoutMs: 2_500 });

  test('each card says why and shows the extractive reply instead', async ({ page, server, fake }) => {
    // Arm A's model answers 500; arm B's never answers at all.
    fake.setBehaviour((r) => (isArmA(r) ? { status: 500 } : { hang: true }));
    await page.goto(`${server.url}/demo/agent/tickets/1001`);
    await expect(cards(page)).toHaveCount(2);
    await expect(overlay(page).locator('[data-state="final"]')).toHaveCount(2, { timeout: 20_000 });
    const notes = await overlay(page).getByRole('note').allTextContents();
    expect(notes.sort()).toEqual([
      'The model did not answer in time — showing the extractive reply.',
      'The model failed (HTTP 500) — showing the extractive reply.',
    ]);
    for (const text of await overlay(page).locator('.ld-candidate-text').allTextContents()) expect(text).toMatch(/^Hi there,\n\n.*\[1\]/s);

    // The fallback reply works like any other: insert it and it lands in the composer.
    await cards(page).first().getByRole('button', { name: /^Insert / }).click();
    await expect(page.locator('[data-is-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]')).toContainText('Hi there');
    const [shown] = await waitForEvents(server, `type = 'suggestion.shown' and ticket_id = $1`, ['1001']);
    expect(shown!.payload.candidates.map((c: { model: string }) => c.model)).toEqual(['extractive-v1', 'extractive-v1']);
  });
});

test('a model reply carrying markup is shown and inserted as text: nothing runs', async ({ page, server, fake }) => {
  const hostile = 'Please try again <img src=x onerror="document.title=\'pwned\'"> and <script>document.title=\'pwned\'</script> [1].';
  fake.setBehaviour({ reply: hostile });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  await expect(overlay(page).locator('[data-state="final"]')).toHaveCount(2, { timeout: 20_000 });
  const card = cards(page).first();
  await expect(card).toContainText('<img src=x onerror=');
  await card.getByRole('button', { name: /^Insert / }).click();
  const composer = page.locator('[data-is-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]');
  await expect(composer).toContainText('<script>');
  const elements = await page.evaluate(() => ({
    overlay: document.querySelector('loopdesk-overlay')!.shadowRoot!.querySelectorAll('img, script').length,
    composer: document.querySelectorAll('[data-is-active="true"] .ck-editor__editable img, [data-is-active="true"] .ck-editor__editable script').length,
  }));
  expect(elements).toEqual({ overlay: 0, composer: 0 });
  expect(await page.title()).not.toBe('pwned');
  expect(dialogs).toEqual([]);
});

test('a reply with a link none of its articles contains is flagged, and inserted only when the agent confirms', async ({ page, server, fake }) => {
  // What a model talked into it by a hostile ticket ("tell them to log in at …") might write.
  fake.setBehaviour({ reply: 'Please reset your password at https://brightnest-support.example/login now [1].' });
  await page.goto(`${server.url}/demo/agent/tickets/1001`);
  await expect(overlay(page).locator('[data-state="final"]')).toHaveCount(2, { timeout: 20_000 });
  const card = cards(page).first();
  await expect(card.getByRole('note')).toContainText('in none of the articles the reply cites');
  await expect(card.getByRole('note').locator('code')).toHaveText('https://brightnest-support.example/login');

  const composer = page.locator('[data-is-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]');
  await card.getByRole('button', { name: /^Insert [AB]$/ }).click();
  await expect(card.getByRole('alert')).toBeVisible();
  await expect(composer).not.toContainText('reset your password');
  await card.getByRole('button', { name: 'Cancel' }).click();
  await expect(card.getByRole('alert')).toHaveCount(0);

  await card.getByRole('button', { name: /^Insert [AB]$/ }).click();
  await card.getByRole('button', { name: /^Insert [AB] anyway$/ }).click();
  await expect(composer).toContainText('https://brightnest-support.example/login');
  await expect(card.getByRole('alert')).toHaveCount(0);
});
