/**
 * Property-based fuzzing of the knowledge-base import parsers (server/kb/formats: JSONL, Zendesk
 * Help Center exports, the CLI's records wire form, Markdown files), first on their own, then through
 * `POST /v1/admin/kb/import` (and the importer, for Markdown) into a real database. No parser
 * throws, no import answers a 5xx, every record is a valid, storable article or a skip that says
 * where and why (naming the field when a field is wrong), valid articles are imported exactly, and
 * nothing invalid is stored.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KbArticleInput, KbImportSummary } from '../../lib/contract';
import { createApp } from '../../server/app';
import type { LogLine } from '../../server/http/log';
import { readJsonl } from '../../server/kb/formats/jsonl';
import { fromMarkdown } from '../../server/kb/formats/markdown';
import type { KbRecord } from '../../server/kb/formats/record';
import { readRecords } from '../../server/kb/formats/records';
import { htmlToMarkdown, readZendesk } from '../../server/kb/formats/zendesk';
import { importRecords } from '../../server/kb/import';
import { ensureTenant } from '../../server/tenancy';
import { anyJson, articleLike, FUZZ_RUNS, fuzzParams, fuzzTimeout, namesFields, storable, text, wrongValue } from '../support/fuzz';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

/** Skips that are about the input's structure rather than one field. */
const STRUCTURAL = [
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
function explains(record: KbRecord): boolean {
  const error = record.error ?? '';
  return error.length > 0 && (namesFields(error) || STRUCTURAL.some((re) => re.test(error)));
}

/**
 * Checks what every reader must give: a position, and a valid storable article or an explained skip.
 * `passedOn`: the skip is one the CLI sent in the records wire form, whose reason is its own.
 */
function checkRecord(record: KbRecord, passedOn = false): void {
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

async function collect(records: AsyncIterable<KbRecord>): Promise<KbRecord[]> {
  const out: KbRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

/** The article a valid input should become, or null when the input is not one. */
function expectedArticle(value: unknown): KbArticleInput | null {
  const parsed = KbArticleInput.safeParse(value);
  return parsed.success && storable(parsed.data) ? parsed.data : null;
}

type Item = { value: unknown; mutated: string | null; original: unknown };

/** An article, sometimes with one field made wrong or removed. */
const articleItem: fc.Arbitrary<Item> = fc
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
function checkMutation(item: Item, record: KbRecord, field = item.mutated): void {
  if (!item.mutated || record.article || !expectedArticle(item.original)) return;
  expect(record.error, `mutated ${item.mutated}`).toMatch(new RegExp(`^${field}\\b`));
}

const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ');

function numbersAsText(value: unknown): unknown {
  if (typeof value === 'number') return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(numbersAsText);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersAsText(v)]));
  return value;
}

// ---------------------------------------------------------------------------------------------
// Inputs of each format

type JsonlLine = { kind: 'article'; item: Item } | { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'blank' };

const jsonlLine: fc.Arbitrary<JsonlLine> = fc.oneof(
  { weight: 5, arbitrary: articleItem.map((item) => ({ kind: 'article' as const, item })) },
  { weight: 1, arbitrary: anyJson.map((value) => ({ kind: 'json' as const, value })) },
  { weight: 1, arbitrary: text(40).map((t) => ({ kind: 'text' as const, text: oneLine(t) })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const }) },
);

const jsonlInput = fc.record({
  lines: fc.array(jsonlLine, { minLength: 1, maxLength: 6 }),
  bom: fc.boolean(),
  eol: fc.constantFrom('\n', '\r\n'),
  finalEol: fc.boolean(),
});

function jsonlText(input: { lines: JsonlLine[]; bom: boolean; eol: string; finalEol: boolean }): string {
  const lines = input.lines.map((l) =>
    l.kind === 'article' ? JSON.stringify(l.item.value) : l.kind === 'json' ? JSON.stringify(l.value) ?? 'null' : l.kind === 'text' ? l.text : '',
  );
  return `${input.bom ? '\uFEFF' : ''}${lines.join(input.eol)}${input.finalEol ? input.eol : ''}`;
}

/** Zendesk's article shape: numeric ids, HTML bodies, `html_url`, drafts. */
const zendeskArticle = fc
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

const zendeskInput = fc.record({
  pages: fc.array(
    fc.array(fc.oneof({ weight: 6, arbitrary: zendeskArticle }, { weight: 1, arbitrary: anyJson.map((value) => ({ item: null, value })) }), { maxLength: 4 }),
    { minLength: 1, maxLength: 3 },
  ),
  shape: fc.constantFrom('one', 'array', 'lines', 'concatenated'),
  cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 6 }),
  bom: fc.boolean(),
});

function zendeskText(input: { pages: { value: unknown }[][]; shape: string; cut: number | null; bom: boolean }): string {
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
const wireRecord = fc.oneof(
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
const yamlValue = fc.oneof(
  text(20).map((t) => JSON.stringify(t)),
  text(20).map((t) => oneLine(t)),
  fc.constantFrom('123', '12345678901234567890', '1e400', '.nan', 'true', 'null', '~', '[a, b]', '{x: 1}', '2024-01-01', '"\\0"', '"\\ud800"', '|\n  block text', '&a x', '*a', '!!binary aGk='),
);
const markdownInput = fc.record({
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

function markdownText(input: {
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

// ---------------------------------------------------------------------------------------------

describe('fuzzing the KB import parsers', () => {
  it(
    `JSONL: one record per non-blank line, the article of every valid line (${FUZZ_RUNS} inputs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(jsonlInput, async (input) => {
          const records = await collect(readJsonl(Readable.from([jsonlText(input)])));
          records.forEach((r) => checkRecord(r));
          const lines = input.lines.map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l.kind !== 'blank' && !(l.kind === 'text' && !l.text.trim()));
          expect(records.map((r) => r.line)).toEqual(lines.map(({ n }) => n));
          lines.forEach(({ l }, i) => {
            const record = records[i]!;
            expect(record.position).toBe(`line ${record.line}`);
            if (l.kind !== 'article') return;
            const expected = expectedArticle(l.item.value);
            if (expected) expect(record.article, `line ${record.line}: ${record.error}`).toEqual(expected);
            else expect(record.article).toBeUndefined();
            checkMutation(l.item, record);
          });
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(2),
  );

  it(
    `Zendesk: never throws; one record per article of a well-formed export, the article of every valid one (${FUZZ_RUNS} inputs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(zendeskInput, fc.integer({ min: 1, max: 64 }), async (input, chunk) => {
          const raw = Buffer.from(zendeskText(input));
          // Delivered in arbitrary pieces, as a socket or a file stream would.
          const pieces: Buffer[] = [];
          for (let i = 0; i < raw.length; i += chunk * 37) pieces.push(raw.subarray(i, i + chunk * 37));
          const records = await collect(readZendesk(Readable.from(pieces)));
          records.forEach((r) => checkRecord(r));
          if (input.cut !== null) return;
          const articles = (input.shape === 'one' ? input.pages.slice(0, 1) : input.pages).flat();
          expect(records.length, records.map((r) => `${r.position}: ${r.error}`).join('\n')).toBe(articles.length);
          articles.forEach((a, i) => {
            const record = records[i]!;
            if (!a.item) return;
            // The reader keeps numbers as their JSON text (Help Center ids exceed 2^53).
            const z = numbersAsText(a.value) as Record<string, unknown>;
            if (z.draft === true) {
              expect(record.error).toMatch(/^draft/);
              return;
            }
            const mapped = {
              id: z.id,
              title: z.title,
              body: typeof z.body === 'string' ? htmlToMarkdown(z.body) : (z.body ?? ''),
              url: z.html_url ?? undefined,
              locale: z.locale ?? undefined,
            };
            const expected = expectedArticle(mapped);
            if (expected) expect(record.article, `${record.position}: ${record.error}`).toEqual(expected);
            else expect(record.article).toBeUndefined();
            checkMutation(a.item, record);
          });
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(3),
  );

  it(
    `records (the CLI's wire form): every line read again as any request body is (${FUZZ_RUNS} inputs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(wireRecord, { minLength: 1, maxLength: 6 }), async (wire) => {
          const body = wire.map((w) => JSON.stringify(w.value) ?? 'null').join('\n');
          const records = await collect(readRecords(Readable.from([body])));
          expect(records).toHaveLength(wire.length);
          records.forEach((record, i) => checkRecord(record, wire[i]!.item === null && record.position !== `record ${i + 1}`));
          wire.forEach((w, i) => {
            const record = records[i]!;
            if ('wireKey' in w) {
              if (!record.article && record.position === `record ${i + 1}`) expect(record.error).toMatch(new RegExp(`^${w.wireKey}\\b`));
              return;
            }
            if (!w.item) return;
            const expected = expectedArticle(w.item.value);
            if (expected) expect(record.article).toEqual(expected);
            else expect(record.article).toBeUndefined();
            checkMutation(w.item, record);
          });
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(2),
  );

  it(
    `Markdown: a valid storable article or a skip that says why, for any file (${FUZZ_RUNS} inputs)`,
    async () => {
      await fc.assert(
        fc.property(markdownInput, (input) => {
          const record = fromMarkdown(input.rel, markdownText(input));
          checkRecord(record);
          if (record.article && !input.frontMatter?.id) expect(record.article.id).toBe(input.rel.replace(/\.(md|markdown)$/, '').trim());
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(1),
  );
});

describe.each(DATABASE_KINDS)('fuzzing KB imports into %s', (kind) => {
  let server: TestServer;
  let app: ReturnType<typeof createApp>;
  let admin: string;
  let tenantId: string;
  const errors: LogLine[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
    app = createApp({ database: server.database, http: { log: (line) => line.level !== 'info' && errors.push(line) } });
    admin = await server.token('admin', { tenant: 'fuzz-kb' });
    tenantId = await ensureTenant(server.database.db, 'fuzz-kb');
  });
  afterAll(async () => server?.close());

  /** Counts the summary must show, from the same input read in process. */
  function expectedSummary(records: KbRecord[]) {
    return { imported: records.filter((r) => r.article).length, skipped: records.filter((r) => !r.article).length };
  }

  /** Each article whose id appears once in the input is stored exactly as read (compared in SQL). */
  async function expectStored(records: KbRecord[]) {
    const counts = new Map<string, number>();
    for (const r of records) if (r.article) counts.set(r.article.id, (counts.get(r.article.id) ?? 0) + 1);
    for (const r of records) {
      const a = r.article;
      if (!a || counts.get(a.id) !== 1) continue;
      const [row] = await server.database.query<{ n: number }>(
        `select count(*)::int as n from kb_articles where tenant_id = $1 and external_id = $2 and title = $3 and body = $4
            and url is not distinct from $5 and locale is not distinct from $6`,
        [tenantId, a.id, a.title, a.body, a.url ?? null, a.locale ?? null],
      );
      expect(row!.n, `article ${JSON.stringify(a.id)} stored as read`).toBe(1);
    }
  }

  it(
    `imports JSONL, Zendesk and records bodies over HTTP without a 5xx, exactly as read (${FUZZ_RUNS} uploads)`,
    async () => {
      const upload = fc.oneof(
        jsonlInput.map((input) => ({ format: 'jsonl', body: jsonlText(input) })),
        zendeskInput.map((input) => ({ format: 'zendesk', body: zendeskText(input), cut: input.cut !== null })),
        fc.array(wireRecord, { minLength: 1, maxLength: 5 }).map((wire) => ({ format: 'records', body: wire.map((w) => JSON.stringify(w.value) ?? 'null').join('\n') })),
        text(80).map((body) => ({ format: 'jsonl', body })),
      );
      await fc.assert(
        fc.asyncProperty(upload, async (input) => {
          const { format, body } = input;
          const res = await app.request(`/v1/admin/kb/import?format=${format}`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body });
          expect(res.status, `${format}: ${body.slice(0, 300)}`).toBe(200);
          const summary = KbImportSummary.parse(await res.json());
          // A Zendesk export cut short is fatal; which articles of its last KiB were read depends on
          // how the bytes arrived (server/kb/formats/zendesk.ts), so only the answer is checked.
          if ('cut' in input && input.cut) return;
          const reader = format === 'jsonl' ? readJsonl : format === 'zendesk' ? readZendesk : readRecords;
          const records = await collect(reader(Readable.from([Buffer.from(body)])));
          const expected = expectedSummary(records);
          expect(summary.created + summary.updated + summary.unchanged).toBe(expected.imported);
          expect(summary.skipped).toHaveLength(expected.skipped);
          await expectStored(records);
        }),
        fuzzParams(),
      );
      expect(errors).toEqual([]);
    },
    fuzzTimeout(25),
  );

  it(
    `imports Markdown files through the importer without an error, exactly as read (${FUZZ_RUNS} files)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(markdownInput, { minLength: 1, maxLength: 3 }), async (files) => {
          const records = files.map((f) => fromMarkdown(f.rel, markdownText(f)));
          const summary = await importRecords(server.database.db, tenantId, (async function* () {
            yield* records;
          })());
          const expected = expectedSummary(records);
          expect(summary.created + summary.updated + summary.unchanged).toBe(expected.imported);
          expect(summary.skipped).toHaveLength(expected.skipped);
          await expectStored(records);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(25),
  );

  it('stored nothing invalid: every article re-parses as Contract v1', async () => {
    const rows = await server.database.query<{ external_id: string; title: string; body: string; url: string | null; locale: string | null }>(
      'select external_id, title, body, url, locale from kb_articles where tenant_id = $1',
      [tenantId],
    );
    expect(rows.length).toBeGreaterThan(FUZZ_RUNS / 4);
    for (const row of rows) {
      KbArticleInput.parse({ id: row.external_id, title: row.title, body: row.body, url: row.url ?? undefined, locale: row.locale ?? undefined });
    }
    // PGlite's driver drops a leading U+FEFF from text it reads, so this is checked in SQL too.
    const [bad] = await server.database.query<{ n: number }>(
      `select count(*)::int as n from kb_articles where tenant_id = $1 and (title = '' or external_id = '')`,
      [tenantId],
    );
    expect(bad!.n).toBe(0);
  });
});
