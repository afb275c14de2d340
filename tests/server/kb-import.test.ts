import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KbArticleUpsertResponse, KbImportSummary, type KbImportFormat } from '../../lib/contract';
import { createApp } from '../../server/app';
import { readRecords } from '../../server/kb/formats/records';
import { readZendeskPath } from '../../server/kb/formats/zendesk';
import { detectFormat, importRecords, readKbPath, type KbRecord } from '../../server/kb/import';
import { ensureTenant } from '../../server/tenancy';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'kb');
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-kb-'));
  dirs.push(dir);
  return dir;
}

function tempFile(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

function page(articles: unknown[], extra: Record<string, unknown> = {}) {
  return { articles, next_page: null, count: articles.length, ...extra };
}

function zendeskArticle(id: number, title: string, body: string, extra: Record<string, unknown> = {}) {
  return { id, title, body, html_url: `https://help.example/hc/en-us/articles/${id}`, locale: 'en-us', draft: false, ...extra };
}

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.each(DATABASE_KINDS)('knowledge-base import on %s', (kind) => {
  let server: TestServer;
  let agent: string;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    agent = await server.token('agent');
    admin = await server.token('admin');
  });
  afterAll(async () => server?.close());

  /** What `loopdesk kb import` does when it opens the database itself. */
  async function importPath(tenant: string, path: string, options: { format?: KbImportFormat; prune?: boolean } = {}) {
    const tenantId = await ensureTenant(server.database.db, tenant);
    const format = options.format ?? (await detectFormat(path));
    return importRecords(server.database.db, tenantId, readKbPath(format, path), { prune: options.prune });
  }

  async function articleIds(tenant: string): Promise<string[]> {
    const rows = await server.database.query<{ external_id: string }>(
      'select a.external_id from kb_articles a join tenants t on t.id = a.tenant_id where t.slug = $1 order by 1',
      [tenant],
    );
    return rows.map((r) => r.external_id);
  }

  async function topArticle(token: string, query: string): Promise<string | undefined> {
    const res = await server.call('/v1/retrieve', { token, body: { query, k: 3 } });
    return res.body.results[0]?.articleId;
  }

  it('imports Contract v1 JSONL, reporting malformed lines by number', async () => {
    const summary = await importPath('acme', join(FIXTURES, 'jsonl', 'articles.jsonl'));
    expect(summary).toMatchObject({ created: 3, updated: 0, unchanged: 0, pruned: 0 });
    expect(summary.skipped).toEqual([
      { position: 'line 3', line: 3, error: expect.stringMatching(/^not JSON/) },
      { position: 'line 4', line: 4, error: expect.stringMatching(/^title:/) },
    ]);
    expect(summary.fatal).toBeUndefined();
    expect(await topArticle(agent, 'copy the saturday plan to sunday')).toBe('jl-schedule');
  });

  it('imports a Zendesk page: HTML becomes Markdown split at its h2s, drafts and bad articles are skipped', async () => {
    const summary = await importPath('acme', join(FIXTURES, 'zendesk', 'one-page.json'));
    expect(summary).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    expect(summary.skipped).toEqual([
      { position: 'page 1 article 2', error: 'draft article 360001000002: not published' },
      { position: 'page 1 article 3', error: expect.stringMatching(/^title:/) },
    ]);
    const [article] = await server.database.query<{ url: string; locale: string; body: string }>(
      `select url, locale, body from kb_articles where external_id = '360001000001'`,
    );
    expect(article).toMatchObject({
      url: 'https://help.brightnest.example/hc/en-us/articles/360001000001-Pair-the-thermostat',
      locale: 'en-us',
    });
    expect(article!.body).not.toMatch(/trackPageView|color:red|</);
    const chunks = await server.database.query<{ chunk_id: string; heading: string | null; content: string; search_text: string }>(
      `select c.chunk_id, c.heading, c.content, c.search_text from kb_chunks c join kb_articles a on a.id = c.article_id
        where a.external_id = '360001000001' order by c.ordinal`,
    );
    expect(chunks.map((c) => c.heading)).toEqual([null, 'Before you start', 'Pairing steps', 'If pairing fails']);
    expect(chunks[2]!.content).toMatch(/^1\. Hold the dial for five seconds/);
    for (const chunk of chunks) expect(chunk.search_text.startsWith('Pair the thermostat with the app\n')).toBe(true);
    const res = await server.call('/v1/retrieve', { token: agent, body: { query: 'restart the router and try again', k: 1 } });
    expect(res.body.results[0]).toMatchObject({ articleId: '360001000001', chunkId: '360001000001#3' });
  });

  it('imports a folder of Zendesk page files in name order, naming the file in positions', async () => {
    const summary = await importPath('acme', join(FIXTURES, 'zendesk', 'pages'));
    expect(summary).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
    expect(summary.skipped).toEqual([{ position: 'articles-page-2.json page 1 article 2', error: 'article is not an object' }]);
    expect(await topArticle(agent, 'lock the controls')).toBe('360002000003');
  });

  it('reads a JSON array of pages and pages one per line alike', async () => {
    const pages = [
      page([zendeskArticle(91, 'Holiday mode', '<p>Holiday mode keeps the home at 12 degrees.</p>')]),
      page([zendeskArticle(92, 'Firmware updates', '<p>Updates install at night.</p>'), { id: 93, title: 'No body', body: null }]),
    ];
    const asArray = await importPath('shapes-array', tempFile('pages.json', JSON.stringify(pages, null, 2)));
    const asLines = await importPath('shapes-lines', tempFile('pages.json', pages.map((p) => JSON.stringify(p)).join('\n')));
    for (const summary of [asArray, asLines]) expect(summary).toMatchObject({ created: 3, skipped: [] });
    expect(await articleIds('shapes-array')).toEqual(['91', '92', '93']);
    expect(await articleIds('shapes-lines')).toEqual(['91', '92', '93']);
    const notPages = await importPath('shapes-bad', tempFile('x.json', '[{"results": []}, 7]'));
    expect(notPages.skipped.map((s) => `${s.position}: ${s.error}`)).toEqual([
      'page 1: page has no "articles" array',
      'page 1: expected a Help Center page {"articles": [...]}',
    ]);
  });

  it('imports a Markdown folder: front matter or path for ids, first heading for titles, bad files reported', async () => {
    const summary = await importPath('acme', join(FIXTURES, 'markdown'));
    expect(summary).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
    expect(summary.skipped).toEqual([{ position: 'faq/broken.md line 3', error: expect.stringMatching(/^front matter: /) }]);
    const rows = await server.database.query<{ external_id: string; title: string; url: string | null; locale: string | null; body: string }>(
      `select external_id, title, url, locale, body from kb_articles where external_id in ('md-refunds', 'getting-started', 'troubleshooting/no-heat') order by 1`,
    );
    expect(rows.map(({ external_id, title, url, locale }) => ({ external_id, title, url, locale }))).toEqual([
      { external_id: 'getting-started', title: 'Getting started with Brightnest', url: null, locale: null },
      { external_id: 'md-refunds', title: 'Refunds and returns', url: 'https://help.brightnest.example/refunds', locale: 'en-gb' },
      { external_id: 'troubleshooting/no-heat', title: 'The radiator stays cold', url: null, locale: 'en-us' },
    ]);
    // The heading that became the title is not repeated in the body; a shell comment is no heading.
    expect(rows[0]!.body.startsWith('Unbox the thermostat')).toBe(true);
    expect(rows[2]!.body).toContain('# this is a shell comment');
    expect(await topArticle(agent, 'refunds original card working days')).toBe('md-refunds');
  });

  it('detects the format from the path and refuses what it cannot tell', async () => {
    expect(await detectFormat(join(FIXTURES, 'markdown'))).toBe('markdown');
    expect(await detectFormat(join(FIXTURES, 'zendesk', 'pages'))).toBe('zendesk');
    expect(await detectFormat(join(FIXTURES, 'zendesk', 'one-page.json'))).toBe('zendesk');
    expect(await detectFormat(join(FIXTURES, 'jsonl', 'articles.jsonl'))).toBe('jsonl');
    const mixed = tempDir();
    writeFileSync(join(mixed, 'a.md'), '# A');
    writeFileSync(join(mixed, 'b.json'), '{}');
    await expect(detectFormat(mixed)).rejects.toThrow(/both .md and .json files: pass --format/);
    await expect(detectFormat(tempDir())).rejects.toThrow(/--format/);
    await expect(detectFormat(tempFile('kb.csv', 'id,title'))).rejects.toThrow(/--format/);
  });

  it('re-import updates changed articles only', async () => {
    const v1 = [
      { id: 'r1', title: 'Night setback', body: 'The thermostat lowers the target at 23:00.' },
      { id: 'r2', title: 'Display brightness', body: 'Dim the display from the settings menu.' },
    ];
    const file = tempFile('kb.jsonl', v1.map((a) => JSON.stringify(a)).join('\n'));
    expect(await importPath('reimport', file)).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    const v2 = [v1[0], { ...v1[1], body: 'Dim the display by holding the dial for ten seconds.' }];
    writeFileSync(file, v2.map((a) => JSON.stringify(a)).join('\n'));
    expect(await importPath('reimport', file)).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    const token = await server.token('agent', { tenant: 'reimport' });
    expect(await topArticle(token, 'holding the dial for ten seconds')).toBe('r2');
    const [row] = await server.database.query<{ n: number }>(
      `select count(*)::int as n from kb_chunks c join kb_articles a on a.id = c.article_id where a.external_id = 'r2' and c.content like '%settings menu%'`,
    );
    expect(row!.n).toBe(0);
  });

  it('--prune deletes what the input no longer has, keeps skipped records it can identify, and never prunes after a fatal error', async () => {
    const lines = (items: unknown[]) => items.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join('\n');
    const a = { id: 'p1', title: 'Valve noise', body: 'A soft click when the valve moves is normal.' };
    const b = { id: 'p2', title: 'Warranty', body: 'Devices carry a two year warranty.' };
    const c = { id: 'p3', title: 'Gateway lights', body: 'A green light means the gateway is online.' };
    expect(await importPath('prune-co', tempFile('kb.jsonl', lines([a, b, c])))).toMatchObject({ created: 3 });

    // p3 is malformed this time but still has its id: it stays. p2 is gone from the input: it goes.
    const summary = await importPath('prune-co', tempFile('kb.jsonl', lines([a, { id: 'p3', title: '' }])), { prune: true });
    expect(summary).toMatchObject({ unchanged: 1, pruned: 1 });
    expect(summary.skipped).toEqual([{ position: 'line 2', line: 2, error: expect.stringMatching(/^title:/) }]);
    expect(await articleIds('prune-co')).toEqual(['p1', 'p3']);
    const token = await server.token('agent', { tenant: 'prune-co' });
    expect(await topArticle(token, 'two year warranty')).toBeUndefined();

    // A Zendesk file that breaks off mid-way: what came before is imported, nothing is pruned.
    const before = [501, 502, 503, 504].map((id) => zendeskArticle(id, `Topic ${id}`, `<p>${'Long enough text. '.repeat(120)}</p>`));
    const broken = `{"articles": [${before.map((a) => JSON.stringify(a)).join(',')}, {"id": 505, "title": oops`;
    const cut = await importPath('prune-co', tempFile('broken.json', broken), { prune: true });
    // The tokenizer drops the last KiB before a syntax error, so the article right before it may go too.
    expect(cut.created).toBeGreaterThanOrEqual(3);
    expect(cut.pruned).toBe(0);
    expect(cut.fatal).toMatch(/^page 1 article [45]: invalid JSON at or after this point.*; so nothing was pruned$/);
    expect(await articleIds('prune-co')).toEqual(expect.arrayContaining(['501', '502', '503', 'p1', 'p3']));

    // An input with no article at all would empty the knowledge base: refused.
    const empty = await importPath('prune-co', tempFile('empty.jsonl', '\n'), { prune: true });
    expect(empty.fatal).toMatch(/no articles/);
    const kept = await articleIds('prune-co');
    expect(kept).toEqual(expect.arrayContaining(['501', '502', '503', 'p1', 'p3']));

    // The input itself failing (a broken upload) counts as fatal too.
    async function* failing(): AsyncGenerator<KbRecord> {
      yield { position: 'line 1', article: a };
      throw new Error('connection reset');
    }
    const tenantId = await ensureTenant(server.database.db, 'prune-co');
    const failed = await importRecords(server.database.db, tenantId, failing(), { prune: true });
    expect(failed.fatal).toMatch(/^reading stopped: connection reset/);
    expect(await articleIds('prune-co')).toEqual(kept);
  });

  it('imports and prunes over HTTP: raw JSONL and Zendesk bodies, and the records the CLI sends', async () => {
    const tenantAdmin = await server.token('admin', { tenant: 'http-co' });
    const upload = (query: string, body: string) =>
      server.call(`/v1/admin/kb/import?${query}`, { method: 'POST', token: tenantAdmin, rawBody: body, headers: { 'content-type': 'application/x-ndjson' } });

    const zendesk = await upload('format=zendesk', JSON.stringify(page([zendeskArticle(7, 'Eco report', '<h2>Weekly</h2><p>Savings arrive on Mondays.</p>'), zendeskArticle(8, 'Draft', '<p>x</p>', { draft: true })])));
    expect(zendesk.status).toBe(200);
    expect(KbImportSummary.parse(zendesk.body)).toMatchObject({ created: 1, skipped: [{ position: 'page 1 article 2' }] });

    const records = [
      { position: 'faq/a.md', article: { id: 'faq/a', title: 'Frost', body: 'Frost protection holds 7 degrees.' } },
      { position: 'faq/b.md line 2', error: 'front matter: bad', id: 'faq/b' },
      { position: 'faq/c.md', article: { id: 'faq/c', title: '' } },
    ];
    const viaRecords = await upload('format=records&prune=1', records.map((r) => JSON.stringify(r)).join('\n'));
    expect(viaRecords.status).toBe(200);
    expect(viaRecords.body).toMatchObject({ created: 1, pruned: 1 });
    expect(viaRecords.body.skipped).toEqual([
      { position: 'faq/b.md line 2', error: 'front matter: bad' },
      { position: 'faq/c.md', error: expect.stringMatching(/^title:/) },
    ]);
    expect(await articleIds('http-co')).toEqual(['faq/a']);

    const markdown = await upload('format=markdown', '# x');
    expect(markdown.status).toBe(400);
    expect(markdown.body.error).toMatch(/^format: .*records/);
    expect((await upload('format=constructor', '')).status).toBe(400);
    expect((await server.call('/v1/admin/kb/import?format=jsonl', { method: 'POST', token: agent, rawBody: '' })).status).toBe(403);
  });

  it('never prunes when an upload breaks off', async () => {
    const tenantAdmin = await server.token('admin', { tenant: 'abort-co' });
    const keep = { id: 'k1', title: 'Keep me', body: 'Still in the source.' };
    await server.call('/v1/kb/articles', { token: tenantAdmin, body: keep });
    const line = `${JSON.stringify({ position: 'x.md', article: { id: 'k2', title: 'New', body: 'New article.' } })}\n`;
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new TextEncoder().encode(line));
        } else {
          controller.error(new Error('the CLI crashed'));
        }
      },
    });
    await fetch(`${server.url}/v1/admin/kb/import?format=records&prune=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenantAdmin}`, 'content-type': 'application/x-ndjson' },
      body,
      duplex: 'half',
    } as RequestInit).catch(() => undefined);
    // The server finishes the request on its own time; give it a moment, then look.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await articleIds('abort-co')).toContain('k1');
  });

  it('reads an upload that fails as a fatal error', async () => {
    const input = new Readable({ read() {} });
    input.push(`${JSON.stringify({ position: 'a.md', article: { id: 'a', title: 'A', body: 'a' } })}\n`);
    setTimeout(() => input.destroy(new Error('socket hang up')), 20);
    const tenantId = await ensureTenant(server.database.db, 'fail-co');
    const summary = await importRecords(server.database.db, tenantId, readRecords(input), { prune: true });
    expect(summary).toMatchObject({ created: 1, pruned: 0 });
    expect(summary.fatal).toMatch(/socket hang up/);
  });

  describe('single-article API', () => {
    it('creates (201), leaves unchanged and updates (200) an article; the tenant is the token’s', async () => {
      const article = { id: 'api-1', title: 'Schedules sync', body: '## Sync\nSchedules sync to every thermostat in the home.' };
      const created = await server.call('/v1/kb/articles', { token: admin, body: article });
      expect(created.status).toBe(201);
      expect(KbArticleUpsertResponse.parse(created.body)).toEqual({ id: 'api-1', outcome: 'created' });
      const same = await server.call('/v1/kb/articles', { token: admin, body: article });
      expect(same).toEqual({ status: 200, body: { id: 'api-1', outcome: 'unchanged' } });
      const changed = await server.call('/v1/kb/articles', { token: admin, body: { ...article, body: 'Schedules sync within a minute.' } });
      expect(changed).toEqual({ status: 200, body: { id: 'api-1', outcome: 'updated' } });
      expect(await topArticle(agent, 'sync within a minute')).toBe('api-1');
      const outsider = await server.token('agent', { tenant: 'globex' });
      expect(await topArticle(outsider, 'sync within a minute')).toBeUndefined();
    });

    it('answers 400 naming the zod path, 403 to agents, leads and the system credential', async () => {
      const bad = await server.call('/v1/kb/articles', { token: admin, body: { id: 'x', body: 'no title' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/^title:/);
      const notJson = await server.call('/v1/kb/articles', { token: admin, rawBody: '{', headers: { 'content-type': 'application/json' } });
      expect(notJson.status).toBe(400);
      const article = { id: 'x', title: 'X', body: 'x' };
      expect((await server.call('/v1/kb/articles', { token: agent, body: article })).status).toBe(403);
      expect((await server.call('/v1/kb/articles', { token: await server.token('lead'), body: article })).status).toBe(403);
      expect((await server.call('/v1/kb/articles/api-1', { method: 'DELETE', token: agent })).status).toBe(403);
      // The local CLI's credential administers, but has no tenant to write articles into.
      const app = createApp({ database: server.database, systemToken: 'ldsys_test' });
      const system = { authorization: 'Bearer ldsys_test', 'content-type': 'application/json' };
      const post = await app.request('/v1/kb/articles', { method: 'POST', headers: system, body: JSON.stringify(article) });
      expect(post.status).toBe(403);
      expect((await app.request('/v1/kb/articles/api-1', { method: 'DELETE', headers: system })).status).toBe(403);
      expect((await server.call('/v1/kb/articles', { body: article })).status).toBe(401);
    });

    it('deletes (204) and answers 404 for an article the tenant does not have', async () => {
      await server.call('/v1/kb/articles', { token: admin, body: { id: 'faq/gone', title: 'Old FAQ', body: 'Retired text.' } });
      const otherAdmin = await server.token('admin', { tenant: 'globex' });
      expect((await server.call('/v1/kb/articles/faq%2Fgone', { method: 'DELETE', token: otherAdmin })).status).toBe(404);
      const deleted = await server.call('/v1/kb/articles/faq%2Fgone', { method: 'DELETE', token: admin });
      expect(deleted.status).toBe(204);
      expect(await topArticle(agent, 'retired text')).toBeUndefined();
      const again = await server.call('/v1/kb/articles/faq/gone', { method: 'DELETE', token: admin });
      expect(again.status).toBe(404);
      expect(again.body.error).toMatch(/faq\/gone/);
    });
  });
});

describe('streaming', () => {
  it('reads a 20,000-article Zendesk page without holding it: records arrive early and the heap stays flat', async () => {
    const file = join(tempDir(), 'articles.json');
    const out = createWriteStream(file);
    out.write('{"articles": [\n');
    for (let i = 1; i <= 20_000; i++) {
      const body = `<p>Intro ${i}.</p>${[1, 2, 3].map((s) => `<h2>Section ${s}</h2><p>${'Detail text for this section of the article. '.repeat(6)}</p>`).join('')}`;
      const chunk = `${i > 1 ? ',\n' : ''}${JSON.stringify(zendeskArticle(100_000 + i, `Article ${i}`, body, { section_id: 1, label_names: ['a', 'b'] }))}`;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end('\n], "next_page": null, "count": 20000}\n');
    await once(out, 'finish');
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(20_000_000);

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let read = 0;
    let readAtFirstRecord = -1;
    let articles = 0;
    let peak = 0;
    for await (const record of readZendeskPath(file, { onBytes: (n) => (read += n) })) {
      if (readAtFirstRecord < 0) readAtFirstRecord = read;
      if (record.article) articles++;
      if (articles % 2_500 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect(articles).toBe(20_000);
    expect(read).toBe(size);
    // The first article comes out of the first chunk read, not after the whole file.
    expect(readAtFirstRecord).toBeLessThan(size / 50);
    expect(peak).toBeLessThan(size / 5);
  });
});
