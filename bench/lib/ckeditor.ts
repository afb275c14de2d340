/**
 * The demo helpdesk's real CKEditor 5 composer, driven from a bench: put text in the way the
 * extension's main-world bridge inserts a suggestion, read it back the way the adapter reads the
 * draft at send. Runs in Chromium; the page's strict CSP does not apply to `page.evaluate`.
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../server/config';

export const COMPOSER_SELECTOR = '[data-is-active="true"] [data-test-id="omnicomposer-rich-text-ckeditor"]';

/** lib/helpdesks/text.ts bundled for the page, exposed as `globalThis.__loopdeskText`. */
async function textHelpersScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, 'lib', 'helpdesks', 'text.ts')],
    bundle: true,
    format: 'iife',
    globalName: '__loopdeskTextBundle',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  return `(() => { ${result.outputFiles[0]!.text}; globalThis.__loopdeskText = __loopdeskTextBundle; })()`;
}

/** Waits for the active ticket's composer and loads the project's own text helpers into the page. */
export async function prepareComposer(page: Page): Promise<void> {
  await page.waitForFunction(
    (selector) => Boolean((document.querySelector(selector) as { ckeditorInstance?: unknown } | null)?.ckeditorInstance),
    COMPOSER_SELECTOR,
    { timeout: 30_000 },
  );
  await page.evaluate(await textHelpersScript());
}

export interface RoundTrip {
  /** `editor.getData()` after the insertion. */
  html: string;
  /** The HTML as the adapter reads it at send: lib/helpdesks/text.ts `htmlToText`, in the browser. */
  text: string;
}

/**
 * For each text: empty the composer, insert the text as the bridge's `insertText` does
 * (plainTextToHtml → data processor → model → `model.insertContent`), then `getData()` and
 * `htmlToText` on what came back. One `page.evaluate` per batch.
 */
export async function ckeditorRoundTrip(page: Page, texts: string[]): Promise<RoundTrip[]> {
  return page.evaluate(
    ({ selector, texts }) => {
      interface Editor {
        getData(): string;
        setData(html: string): void;
        model: { insertContent(content: unknown): void };
        data: { processor: { toView(html: string): unknown }; toModel(view: unknown): unknown };
      }
      const helpers = (globalThis as unknown as { __loopdeskText: { plainTextToHtml(t: string): string; htmlToText(h: string): string } })
        .__loopdeskText;
      const editor = (document.querySelector(selector) as unknown as { ckeditorInstance: Editor }).ckeditorInstance;
      return texts.map((text) => {
        editor.setData('');
        editor.model.insertContent(editor.data.toModel(editor.data.processor.toView(helpers.plainTextToHtml(text))));
        const html = editor.getData();
        return { html, text: helpers.htmlToText(html) };
      });
    },
    { selector: COMPOSER_SELECTOR, texts },
  );
}
