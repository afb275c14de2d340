/**
 * Inputs and checks of the knowledge-base import fuzzing (tests/server/fuzz.test.ts): each format's
 * inputs as data plus their serialization, so that a test knows what every line or article was
 * meant to be.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { KbArticleInput } from '../../lib/contract';
import type { KbRecord } from '../../server/kb/formats/record';
import { anyJson, articleLike, namesFields, storable, text, wrongValue } from './fuzz';

/** Skips that are about the input's structure rather than one field. */
export const STRUCTURAL = [
  /^not JSON: /,
  /^draft( article .+)?: not published$/s,
  /^article is not an object$/,
  /^page has no "articles" array$/,
  /^expected a Help Center page/,
  /^"articles" is not an array$/,
  /^no Help Center page in it/,
  /^invalid JSON at or after this point/,
  /^front matter( (id|title|url|locale))?: /,
  /^no title: /,
  /^no article$/,
];

/** True when a skip says why in a way a person can act on: a field, or the input's structure. */
export function explains(record: KbRecord): boolean {
  const error = record.error ?? '';
  return error.length > 0 && (namesFields(error) || STRUCTURAL.some((re) => re.test(error)));
}

/**
 * Checks what every reader must give: a position, and a valid storable article or an explained skip.
 * `passedOn`: the skip is one the CLI sent in the records wire form, whose reason is its own.
 */
export function checkRecord(record: KbRecord, passedOn = false): void {
  expect(typeof record.position).toBe('string');
  expect(record.position.length).toBeGreaterThan(0);
  if (record.article) {
    expect(record.error).toBeUndefined();
    expect(KbArticleInput.safeParse(record.article).success).toBe(true);
    expect(storable(record.article), JSON.stringify(record.article).slice(0, 300)).toBe(true);
  } else if (passedOn) {
    expect(record.error).toBeTruthy();
  } else {
    expect(explains(record), `${record.position}: ${record.error}`).toBe(true);
  }
}

export async function collect(records: AsyncIterable<KbRecord>): Promise<KbRecord[]> {
  const out: KbRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

/** The article a valid input should become, or null when the input is not one. */
export function expectedArticle(value: unknown): KbArticleInput | null {
  const parsed = KbArticleInput.safeParse(value);
  return parsed.success && storable(parsed.data) ? parsed.data : null;
}

export type Item = { value: unknown; mutated: string | null; original: unknown };

/** An article, sometimes with one field made wrong or removed. */
export const articleItem: fc.Arbitrary<Item> = fc
  .tuple(articleLike, fc.option(fc.tuple(fc.constantFrom('id', 'title', 'body', 'url', 'locale'), wrongValue, fc.boolean()), { freq: 2 }))
  .map(([article, mutation]) => {
    if (!mutation) return { value: article, mutated: null, original: article };
    const [key, value, remove] = mutation;
    const copy: Record<string, unknown> = { ...article };
    if (remove) delete copy[key];
    else copy[key] = value;
    return { value: copy, mutated: key, original: article };
  });

/** A mutated field must be named by the skip, when the article was valid before the mutation. */
export function checkMutation(item: Item, record: KbRecord, field = item.mutated): void {
  if (!item.mutated || record.article || !expectedArticle(item.original)) return;
  expect(record.error, `mutated ${item.mutated}`).toMatch(new RegExp(`^${field}\\b`));
}

export const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ');

export function numbersAsText(value: unknown): unknown {
  if (typeof value === 'number') return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(numbersAsText);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersAsText(v)]));
  return value;
}

// ---------------------------------------------------------------------------------------------
// Inputs of each format

export type JsonlLine = { kind: 'article'; item: Item } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'blank' };

export const jsonlLine: fc.Arbitrary<JsonlLine> = fc.oneof(
  { weight: 5, arbitrary: articleItem.map((item) => ({ kind: 'article' as const, item })) },
  { weight: 1, arbitrary: anyJson.map((value) => ({ kind: 'json' as const, value })) },
  { weight: 1, arbitrary: text(40).map((t) => ({ kind: 'text' as const, text: oneLine(t) })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const }) },
);

export const jsonlInput = fc.record({
  lines: fc.array(jsonlLine, { minLength: 1, maxLength: 6 }),
  bom: fc.boolean(),
  eol: fc.constantFrom('\n', '\r\n'),
  finalEol: fc.boolean(),
});

export function jsonlText(input: { lines: JsonlLine[]; bom: boolean; eol: string; finalEol: boolean }): string {
  const lines = input.lines.map((l) =>
    l.kind === 'article' ? JSON.stringify(l.item.value) : l.kind === 'json' ? JSON.stringify(l.value) ?? 'null' : l.kind === 'text' ? l.text : '',
  );
  return `${input.bom ? '\uFEFF' : ''}${lines.join(input.eol)}${input.finalEol ? input.eol : ''}`;
}

/** Zendesk's article shape: numeric ids, HTML bodies, `html_url`, drafts. */
export const zendeskArticle = fc
  .tuple(
    articleItem,
    fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.constant(360_001_234_567_890)),
    fc.boolean(),
    fc.boolean(),
    fc.array(fc.constantFrom('<h2>', '</h2>', '<p>', '</p>', '<ul><li>', '</li></ul>', '<script>x()</script>', '<br>', '&amp;', '&#0;', '&#xD800;'), { maxLength: 4 }),
  )
  .map(([item, numericId, useNumber, draft, tags]) => {
    const a = item.value as Record<string, unknown>;
    const html = typeof a.body === 'string' ? `${tags.join('')}${a.body}` : a.body;
    const value: Record<string, unknown> = {
      id: useNumber && item.mutated !== 'id' ? numericId : a.id,
      title: a.title,
      body: html,
      html_url: a.url,
      locale: a.locale,
      draft: draft && item.mutated === null,
      section_id: 1,
    };
    for (const key of ['id', 'title', 'body', 'url', 'locale']) if (!(key in a)) delete value[key === 'url' ? 'html_url' : key];
    return { item, value };
  });

export const zendeskInput = fc.record({
  pages: fc.array(
    fc.array(fc.oneof({ weight: 6, arbitrary: zendeskArticle }, { weight: 1, arbitrary: anyJson.map((value) => ({ item: null, value })) }), { maxLength: 4 }),
    { minLength: 1, maxLength: 3 },
  ),
  shape: fc.constantFrom('one', 'array', 'lines', 'concatenated'),
  cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 6 }),
  bom: fc.boolean(),
});

export function zendeskText(input: { pages: { value: unknown }[][]; shape: string; cut: number | null; bom: boolean }): string {
  const pages = input.pages.map((articles) => ({ articles: articles.map((a) => a.value), next_page: null, count: articles.length }));
  const json =
    input.shape === 'one'
      ? JSON.stringify(pages[0])
      : input.shape === 'array'
        ? JSON.stringify(pages, null, 1)
        : pages.map((p) => JSON.stringify(p)).join(input.shape === 'lines' ? '\n' : '');
  const whole = `${input.bom ? '\uFEFF' : ''}${json}`;
  return input.cut === null ? whole : whole.slice(0, Math.floor(whole.length * input.cut));
}

/** The CLI's wire form: `{position, line?, article?, error?, id?, fatal?}` per line. */
export const wireRecord = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(articleItem, text(20)).map(([item, position]) => ({ item, value: { position: position || 'p', article: item.value } })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ position: text(20, 1), error: text(30), id: text(10), fatal: fc.boolean(), line: fc.integer({ min: 1, max: 1e6 }) }, { requiredKeys: ['position'] })
      .map((value) => ({ item: null, value })),
  },
  { weight: 1, arbitrary: anyJson.map((value) => ({ item: null, value })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('position', 'line', 'error', 'id', 'fatal'), wrongValue)
      .map(([key, wrong]) => ({ item: null, value: { position: 'x.md', error: 'e', [key]: wrong }, wireKey: key })),
  },
);

/** Markdown files: front matter of any shape, headings, fences. */
export const yamlValue = fc.oneof(
  text(20).map((t) => JSON.stringify(t)),
  text(20).map((t) => oneLine(t)),
  fc.constantFrom('123', '12345678901234567890', '1e400', '.nan', 'true', 'null', '~', '[a, b]', '{x: 1}', '2024-01-01', '"\\0"', '"\\ud800"', '|\n  block text', '&a x', '*a', '!!binary aGk='),
);
export const markdownInput = fc.record({
  frontMatter: fc.option(fc.dictionary(fc.constantFrom('id', 'title', 'url', 'locale', 'tags', 'x'), yamlValue, { maxKeys: 4 })),
  garbageFrontMatter: fc.option(text(30)),
  close: fc.constantFrom('---', '...', ''),
  heading: fc.option(text(30)),
  fence: fc.boolean(),
  body: text(120),
  bom: fc.boolean(),
  crlf: fc.boolean(),
  rel: fc.constantFrom('a.md', 'faq/refunds.md', 'dir/sub/x.markdown', 'ünï 😀.md'),
});

export function markdownText(input: {
  frontMatter: Record<string, string> | null;
  garbageFrontMatter: string | null;
  close: string;
  heading: string | null;
  fence: boolean;
  body: string;
  bom: boolean;
  crlf: boolean;
}): string {
  let doc = '';
  if (input.frontMatter || input.garbageFrontMatter !== null) {
    const lines = input.frontMatter ? Object.entries(input.frontMatter).map(([k, v]) => `${k}: ${v}`) : [input.garbageFrontMatter!];
    doc += `---\n${lines.join('\n')}\n${input.close}\n`;
  }
  if (input.fence) doc += '```sh\n# not a heading\n```\n';
  if (input.heading !== null) doc += `# ${oneLine(input.heading)}\n`;
  doc += input.body;
  if (input.crlf) doc = doc.replace(/\n/g, '\r\n');
  return `${input.bom ? '\uFEFF' : ''}${doc}`;
}

