/**
 * The helpdesk adapters and the composer bridge against saved HTML fixtures, in real Chromium
 * without the extension: each fixture is served at a real-looking helpdesk URL and the adapters
 * (bundled from lib/helpdesks) are loaded into it. No DOM emulator is installed, so this is where the
 * DOM-level unit tests run.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { expect, test, type Page } from '@playwright/test';
import { chromiumExecutable } from '../support/browser';
import type { Harness } from '../support/helpdesk-harness';

test.use({ launchOptions: { executablePath: chromiumExecutable(), args: ['--no-sandbox', '--disable-gpu'] } });

let bundle = '';
test.beforeAll(async () => {
  const result = await build({
    entryPoints: ['tests/support/helpdesk-harness.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0]!.text;
});

async function openFixture(page: Page, url: string, fixture: string) {
  const html = readFileSync(`tests/fixtures/helpdesks/${fixture}`, 'utf8');
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
  await page.goto(url);
  await page.addScriptTag({ content: bundle });
}

/** Runs the send-path checks in the page: before and after opening the send menu. */
function sendPaths(page: Page) {
  return page.evaluate(() => {
    const ld = (globalThis as unknown as { loopdesk: Harness }).loopdesk;
    const adapter = ld.adapterForDocument(document)!;
    const el = (name: string) => document.querySelector(`[data-fixture="${name}"]`)!;
    return {
      itemBeforeMenu: adapter.sendPathOfClick(el('menu-item')),
      button: adapter.sendPathOfClick(el('send')),
      // A click on something inside the button (its label) still counts.
      buttonChild: el('send').firstChild instanceof Element ? adapter.sendPathOfClick(el('send').firstChild as Element) : 'button',
      elsewhere: adapter.sendPathOfClick(el('elsewhere') ?? document.body),
      menu: adapter.sendPathOfClick(el('send-menu')),
      itemAfterMenu: adapter.sendPathOfClick(el('menu-item')),
      itemAgain: adapter.sendPathOfClick(el('menu-item')),
    };
  });
}

/** Whether the adapter takes a keydown on the named fixture element as the send shortcut. */
function shortcut(page: Page, target: string, init: { key: string; ctrlKey?: boolean; metaKey?: boolean }) {
  return page.evaluate(
    ({ target, init }) => {
      const adapter = (globalThis as unknown as { loopdesk: Harness }).loopdesk.adapterForDocument(document)!;
      let answer: boolean | undefined;
      document.addEventListener('keydown', (event) => (answer = adapter.isSendShortcut(event)), { once: true, capture: true });
      document.querySelector(`[data-fixture="${target}"]`)!.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, ...init }));
      return answer;
    },
    { target, init },
  );
}

function context(page: Page) {
  return page.evaluate(() => {
    const adapter = (globalThis as unknown as { loopdesk: Harness }).loopdesk.adapterForDocument(document);
    return adapter && { helpdesk: adapter.helpdesk, ticketId: adapter.activeTicketId(), context: adapter.readContext(), composer: adapter.composer()?.dataset.fixture ?? null };
  });
}

/** The context an adapter reads from a fixture whose active pane shows `ticketId`, its composer found. */
async function expectContext(page: Page, helpdesk: string, ticketId: string, read: { subject: string; locale: string; tags: string[]; messages: unknown[] }) {
  expect(await context(page)).toEqual({ helpdesk, ticketId, composer: 'composer', context: { helpdesk, ticketId, ...read } });
}

/** The send paths of a fixture with a send button and a status menu (see sendPaths). */
const SEND_PATHS = {
  itemBeforeMenu: null,
  button: 'button',
  buttonChild: 'button',
  elsewhere: null,
  menu: null,
  itemAfterMenu: 'status_menu',
  itemAgain: null,
};

test('Zendesk: only the active pane is read, tags without their controls, authors from the requester', async ({ page }) => {
  await openFixture(page, 'https://acme.zendesk.com/agent/tickets/2002', 'zendesk-ticket.html');
  await expectContext(page, 'zendesk', '2002', {
    subject: 'Refund for order 88',
    locale: 'en-GB',
    tags: ['refund', 'billing'],
    messages: [
      { author: 'customer', text: 'I was charged twice for order 88.', createdAt: '2026-02-01T10:00:00Z' },
      { author: 'agent', text: 'Checked Stripe: two charges.', createdAt: '2026-02-01T10:05:00Z', internal: true },
      { author: 'customer', text: 'Any news?', createdAt: '2026-02-01T11:00:00Z' },
    ],
  });
  expect(await sendPaths(page)).toEqual(SEND_PATHS);
  // The other (mounted, inactive) ticket's send button is not a send of this ticket.
  expect(
    await page.evaluate(() =>
      (globalThis as unknown as { loopdesk: Harness }).loopdesk.adapterForDocument(document)!.sendPathOfClick(document.querySelector('[data-fixture="send-2001"]')!),
    ),
  ).toBeNull();
  expect(await shortcut(page, 'composer', { key: 'Enter', ctrlKey: true })).toBe(true);
  expect(await shortcut(page, 'composer-2001', { key: 'Enter', ctrlKey: true })).toBe(false);
});

test('Freshdesk: subject without its controls, private notes, the reply editor before the note editor', async ({ page }) => {
  await openFixture(page, 'https://acme.freshdesk.com/a/tickets/3105', 'freshdesk-ticket.html');
  await expectContext(page, 'freshdesk', '3105', {
    subject: 'Router keeps rebooting',
    locale: 'de',
    tags: ['router', 'firmware'],
    messages: [
      { author: 'customer', text: 'My router reboots every hour.\nModel X200.', createdAt: '2026-03-02T08:00:00Z' },
      { author: 'agent', text: 'Known firmware bug.', createdAt: '2026-03-02T08:30:00Z', internal: true },
      { author: 'agent', text: 'Please update the firmware.', createdAt: '2026-03-02T09:00:00Z' },
    ],
  });
  expect(await sendPaths(page)).toEqual(SEND_PATHS);
  expect(await shortcut(page, 'composer', { key: 'Enter', metaKey: true })).toBe(true);
  expect(await shortcut(page, 'composer', { key: 'Enter' })).toBe(false);
  expect(await shortcut(page, 'note-editor', { key: 'Enter', ctrlKey: true })).toBe(false);
});

test('Freshdesk: while the view still shows the previous ticket, there is no active pane yet', async ({ page }) => {
  // The URL already names ticket 3200; the breadcrumb still shows #3105.
  await openFixture(page, 'https://acme.freshdesk.com/a/tickets/3200', 'freshdesk-ticket.html');
  expect(await context(page)).toEqual({ helpdesk: 'freshdesk', ticketId: '3200', context: null, composer: null });
});

test('Help Scout: the conversation id keys the ticket, the thread is read oldest first', async ({ page }) => {
  await openFixture(page, 'https://secure.helpscout.net/conversation/2847561930/1187?folderId=7', 'helpscout-conversation.html');
  await expectContext(page, 'helpscout', '2847561930', {
    subject: 'Invoice address wrong',
    locale: 'en-US',
    tags: ['billing', 'invoice'],
    messages: [
      { author: 'customer', text: 'My invoice has the old address.', createdAt: '2026-04-03T10:00:00Z' },
      { author: 'agent', text: 'We will reissue it.', createdAt: '2026-04-03T10:30:00Z' },
      { author: 'agent', text: 'Asked billing to reissue.', createdAt: '2026-04-03T11:00:00Z', internal: true },
      { author: 'customer', text: 'Still wrong on the new one.', createdAt: '2026-04-03T12:00:00Z' },
    ],
  });
  expect(await sendPaths(page)).toMatchObject({ itemBeforeMenu: null, button: 'button', menu: null, itemAfterMenu: 'status_menu', itemAgain: null });
  expect(await shortcut(page, 'composer', { key: 'Enter', ctrlKey: true })).toBe(true);
});

test('a selector set passed to the factory replaces the defaults; a selector the browser rejects is skipped', async ({ page }) => {
  await openFixture(page, 'https://acme.freshdesk.com/a/tickets/3105', 'freshdesk-ticket.html');
  const result = await page.evaluate(() => {
    const ld = (globalThis as unknown as { loopdesk: Harness }).loopdesk;
    const defaults = ld.defaultSelectors('freshdesk');
    // As the server would ship it: JSON, then used as the effective set.
    const override = JSON.parse(JSON.stringify({ ...defaults, composer: ['[data-fixture="note-editor"]'], subject: ['h2:::not-a-selector', ...defaults.subject] }));
    const adapter = ld.createFreshdeskAdapter(document, override);
    return { composer: adapter.composer()?.dataset.fixture, subject: adapter.readContext()?.subject };
  });
  expect(result).toEqual({ composer: 'note-editor', subject: 'Router keeps rebooting' });
});

test('bridge, plain contenteditable: text is typed with paragraphs and line breaks; getData returns the HTML', async ({ page }) => {
  await openFixture(page, 'https://secure.helpscout.net/conversation/2847561930/1187', 'helpscout-conversation.html');
  const result = await page.evaluate(() => {
    const ld = (globalThis as unknown as { loopdesk: Harness }).loopdesk;
    const composer = ld.adapterForDocument(document)!.composer()!;
    let inputs = 0;
    composer.addEventListener('input', () => inputs++);
    const set = ld.callBridge(composer, { op: 'setData', text: 'Hi Lee,\n\nLine one\nLine two <b>&amp;' });
    const inserted = ld.callBridge(composer, { op: 'insertText', text: ' Thanks!' });
    const read = ld.callBridge(composer, { op: 'getData' });
    const notEditor = ld.callBridge(document.querySelector('[data-fixture="send"]')!, { op: 'getData' });
    return { set, inserted, read, notEditor, inputs };
  });
  expect(result.set).toEqual({ ok: true, data: '<p>Hi Lee,</p><p>Line one<br>Line two &lt;b&gt;&amp;amp;</p>' });
  expect(result.inserted).toEqual({ ok: true, data: '<p>Hi Lee,</p><p>Line one<br>Line two &lt;b&gt;&amp;amp; Thanks!</p>' });
  expect(result.read).toEqual(result.inserted);
  expect(result.notEditor).toEqual({ ok: false, error: 'this element is not an editor the bridge knows' });
  // The page's editor saw ordinary input events.
  expect(result.inputs).toBeGreaterThan(0);
});

test('bridge, an editor that handles paste itself (Froala): the text goes through its paste handler once', async ({ page }) => {
  await openFixture(page, 'https://acme.freshdesk.com/a/tickets/3105', 'freshdesk-ticket.html');
  const result = await page.evaluate(() => {
    const ld = (globalThis as unknown as { loopdesk: Harness }).loopdesk;
    const composer = ld.adapterForDocument(document)!.composer()!;
    const pasted: { plain: string; html: string }[] = [];
    composer.addEventListener('paste', (event) => {
      event.preventDefault();
      const plain = event.clipboardData?.getData('text/plain') ?? '';
      pasted.push({ plain, html: event.clipboardData?.getData('text/html') ?? '' });
      document.execCommand('insertText', false, plain.replace(/\n+/g, ' '));
    });
    const set = ld.callBridge(composer, { op: 'setData', text: 'Update the firmware.\n\nKim' });
    return { set, pasted };
  });
  expect(result.pasted).toEqual([{ plain: 'Update the firmware.\n\nKim', html: '<p>Update the firmware.</p><p>Kim</p>' }]);
  expect(result.set).toEqual({ ok: true, data: '<p>Update the firmware. Kim</p>' });
});

test('bridge, CKEditor 5: the model API is used when the element carries an editor instance', async ({ page }) => {
  await openFixture(page, 'https://acme.zendesk.com/agent/tickets/2002', 'zendesk-ticket.html');
  const result = await page.evaluate(() => {
    const ld = (globalThis as unknown as { loopdesk: Harness }).loopdesk;
    const composer = ld.adapterForDocument(document)!.composer()!;
    let data = '<p>draft</p>';
    (composer as unknown as { ckeditorInstance: unknown }).ckeditorInstance = {
      getData: () => data,
      setData: (html: string) => (data = html),
      editing: { view: { focus() {} } },
    };
    return { get: ld.callBridge(composer, { op: 'getData' }), set: ld.callBridge(composer, { op: 'setData', text: 'New\n\nreply' }), dom: composer.innerHTML };
  });
  expect(result.get).toEqual({ ok: true, data: '<p>draft</p>' });
  expect(result.set).toEqual({ ok: true, data: '<p>New</p><p>reply</p>' });
  // The editable's DOM is CKEditor's to render: the bridge did not touch it.
  expect(result.dom).toBe('<p><br></p>');
});
