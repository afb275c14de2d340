import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/random';
import { upsertArticles } from '../../server/kb/store';
import { retrieveLexical } from '../../server/retrieval/lexical';
import { retrieveLexicalAll } from '../../server/retrieval/lexical-batch';
import { ensureTenant } from '../../server/tenancy';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

/**
 * The flywheel's batched lexical retrieval must give exactly the lists `retrieveLexical` gives:
 * same chunks, order, ranks and scores, ties included.
 */
describe.each(DATABASE_KINDS)('retrieveLexicalAll on %s', (kind) => {
  let server: TestServer;
  let tenantId: string;
  const rand = seededRandom(11);
  // A Zipf-like vocabulary: a few words in most chunks (skipped or weak), many rare ones.
  const words = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}${['', 'ing', 's', 'ed'][i % 4]}`);
  const word = () => words[Math.floor(words.length * rand() ** 2.5)]!;
  const sentence = (n: number) => Array.from({ length: n }, word).join(' ');

  beforeAll(async () => {
    server = await startTestServer(kind);
    tenantId = await ensureTenant(server.database.db, 'acme');
    await ensureTenant(server.database.db, 'other');
    const articles = Array.from({ length: 150 }, (_, i) => ({
      id: `a-${i}`,
      title: `${sentence(4)} Vaccination COVID`,
      body: `## ${sentence(3)}\n${sentence(40)}\n\n## ${sentence(2)}\n${sentence(25)}`,
    }));
    // Exact duplicates and same-length twins: BM25 ties, broken by chunk id.
    articles.push({ ...articles[3]!, id: 'dup-3' }, { ...articles[3]!, id: 'b-dup-3' }, { ...articles[7]!, id: 'dup-7' });
    await upsertArticles(server.database.db, tenantId, articles);
  });
  afterAll(async () => server?.close());

  it('matches retrieveLexical query by query', async () => {
    const queries = [
      ...Array.from({ length: 60 }, () => sentence(2 + Math.floor(rand() * 10))),
      sentence(120), // more than MAX_TERMS_PER_FIELD terms per field
      articles3Title(),
      'vaccines for COVID, vaccination',
      '',
      '   ',
      'zzz-unknown-term',
      'the to of and',
      `${sentence(5)} ${'x'.repeat(4_100)} ${sentence(5)}`, // cut at MAX_QUERY_CHARS
    ];
    for (const k of [75, 5]) {
      const all = await retrieveLexicalAll(server.database, tenantId, queries, k);
      expect(all).toHaveLength(queries.length);
      for (const [i, q] of queries.entries()) {
        const one = (await retrieveLexical(server.database, tenantId, q, k)).map((c) => ({ chunkId: c.chunkId, articleId: c.articleId, title: c.title, score: c.score, rank: c.rank }));
        expect(all[i], `query ${i}: ${q.slice(0, 60)}`).toEqual(one);
      }
    }
    expect((await retrieveLexicalAll(server.database, tenantId, queries, 75)).some((l) => l.length === 75)).toBe(true);
  });

  it('gives empty lists for a tenant without a KB', async () => {
    const otherId = await ensureTenant(server.database.db, 'other');
    expect(await retrieveLexicalAll(server.database, otherId, ['vaccination'], 10)).toEqual([[]]);
  });

  it('matches it too when a posting outlived its chunk (read the chunks from the postings then)', async () => {
    await server.database.query(`delete from kb_chunks where tenant_id = $1 and chunk_id in (select chunk_id from kb_chunks where tenant_id = $1 order by chunk_id limit 5)`, [tenantId]);
    const queries = Array.from({ length: 20 }, () => sentence(3 + Math.floor(rand() * 6)));
    const all = await retrieveLexicalAll(server.database, tenantId, queries, 75);
    for (const [i, q] of queries.entries()) {
      const one = (await retrieveLexical(server.database, tenantId, q, 75)).map((c) => ({ chunkId: c.chunkId, articleId: c.articleId, title: c.title, score: c.score, rank: c.rank }));
      expect(all[i], `query ${i}`).toEqual(one);
    }
  });

  function articles3Title() {
    return 'Vaccination COVID';
  }
});
