import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { KbArticleInput } from '../../lib/contract';
import type { Db } from '../db/client';
import { kbArticles, kbChunks } from '../db/schema';
import { chunkArticle } from './chunk';
import { EXACT_PREFIX } from '../retrieval/lexical';

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

function contentHash(article: KbArticleInput): string {
  return createHash('sha256')
    .update(JSON.stringify([article.title, article.body, article.url ?? null, article.locale ?? null]))
    .digest('hex');
}

/** Most chunk rows one INSERT carries: 7 parameters each stays well under PostgreSQL's 65,535. */
const CHUNK_ROWS_PER_INSERT = 5_000;

function uuidList(ids: string[]) {
  return sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
}

/**
 * Adds (+1) or removes (−1) articles' chunks from the tenant's BM25 statistics: document frequency
 * per term (stemmed lexemes and EXACT_PREFIX exact forms), chunk count and total length per field.
 * Kept exact on every change, so ranking never waits for a rebuild. Several articles are counted in
 * one pass, so a batch costs three statements, not three per article. Removal must run before the
 * chunks are deleted.
 */
async function applyChunkStats(tx: Tx, tenantId: string, articleIds: string[], sign: 1 | -1): Promise<void> {
  if (articleIds.length === 0) return;
  await tx.execute(sql`
    insert into kb_term_stats (tenant_id, term, df)
    select ${tenantId}::uuid, t.term, ${sign} * count(*)::int
      from (select u.lexeme as term from kb_chunks c, unnest(c.tsv) u where c.article_id in (${uuidList(articleIds)})
            union all
            select ${EXACT_PREFIX} || u.lexeme from kb_chunks c, unnest(c.tsv_exact) u where c.article_id in (${uuidList(articleIds)})) t
     group by t.term
    on conflict (tenant_id, term) do update set df = kb_term_stats.df + excluded.df`);
  await tx.execute(sql`
    insert into kb_stats (tenant_id, chunks, total_len, total_len_exact)
    select ${tenantId}::uuid, ${sign} * count(*)::int, ${sign} * coalesce(sum(doc_len), 0)::bigint,
           ${sign} * coalesce(sum(doc_len_exact), 0)::bigint
      from kb_chunks where article_id in (${uuidList(articleIds)})
    on conflict (tenant_id) do update
      set chunks = kb_stats.chunks + excluded.chunks, total_len = kb_stats.total_len + excluded.total_len,
          total_len_exact = kb_stats.total_len_exact + excluded.total_len_exact`);
  if (sign < 0) await tx.execute(sql`delete from kb_term_stats where tenant_id = ${tenantId}::uuid and df <= 0`);
}

/**
 * Writes the chunks' lengths and postings for BM25 (see server/retrieval/lexical.ts): stemmed
 * lexemes from `tsv`, exact-form words from `tsv_exact` under EXACT_PREFIX.
 */
async function indexChunks(tx: Tx, articleIds: string[]): Promise<void> {
  await tx.execute(sql`
    update kb_chunks c
       set doc_len = coalesce((select sum(array_length(u.positions, 1)) from unnest(c.tsv) u), 0),
           doc_len_exact = coalesce((select sum(array_length(u.positions, 1)) from unnest(c.tsv_exact) u), 0)
     where c.article_id in (${uuidList(articleIds)})`);
  await tx.execute(sql`
    insert into kb_postings (tenant_id, term, chunk_id, tf, doc_len)
    select c.tenant_id, u.lexeme, c.chunk_id, array_length(u.positions, 1), c.doc_len
      from kb_chunks c, unnest(c.tsv) u
     where c.article_id in (${uuidList(articleIds)})
    union all
    select c.tenant_id, ${EXACT_PREFIX} || u.lexeme, c.chunk_id, array_length(u.positions, 1), c.doc_len_exact
      from kb_chunks c, unnest(c.tsv_exact) u
     where c.article_id in (${uuidList(articleIds)})`);
}

/** Deletes articles' chunks and their postings (which have no foreign key, for write speed). */
async function removeChunks(tx: Tx, tenantId: string, articleIds: string[]): Promise<void> {
  await tx.execute(sql`
    delete from kb_postings p using kb_chunks c
     where p.tenant_id = ${tenantId}::uuid and c.tenant_id = p.tenant_id and c.chunk_id = p.chunk_id
       and c.article_id in (${uuidList(articleIds)})`);
  await tx.delete(kbChunks).where(inArray(kbChunks.articleId, articleIds));
}

/**
 * Serializes KB writes per tenant: two imports into one tenant would otherwise update the same
 * kb_term_stats rows in different orders and deadlock.
 */
async function lockTenantKb(tx: Tx, tenantId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kb:${tenantId}`}, 0))`);
}

/** Inserts or updates one article and re-chunks it when its content changed. */
export async function upsertArticle(db: Db, tenantId: string, article: KbArticleInput): Promise<UpsertOutcome> {
  const [outcome] = await upsertArticles(db, tenantId, [article]);
  return outcome!;
}

/**
 * Inserts or updates several articles in one transaction and re-chunks those whose content changed;
 * each gets the outcome `upsertArticle` would have given it alone, and the statistics end up the same.
 * Bulk import uses it because the per-statement round trips, not the work, dominate one-by-one upserts.
 * The ids must be distinct: a second version of an article belongs in a later call.
 */
export async function upsertArticles(db: Db, tenantId: string, articles: KbArticleInput[]): Promise<UpsertOutcome[]> {
  if (articles.length === 0) return [];
  const externalIds = articles.map((a) => a.id);
  if (new Set(externalIds).size !== externalIds.length) throw new Error('upsertArticles needs distinct article ids');
  const hashes = articles.map(contentHash);
  return db.transaction(async (tx) => {
    await lockTenantKb(tx, tenantId);
    const rows = await tx
      .select({ id: kbArticles.id, externalId: kbArticles.externalId, contentHash: kbArticles.contentHash })
      .from(kbArticles)
      .where(and(eq(kbArticles.tenantId, tenantId), inArray(kbArticles.externalId, externalIds)));
    const existing = new Map(rows.map((row) => [row.externalId, row]));
    const outcomes: UpsertOutcome[] = [];
    const now = new Date();
    const fieldsOf = (i: number) => {
      const article = articles[i]!;
      return {
        title: article.title,
        body: article.body,
        url: article.url ?? null,
        locale: article.locale ?? null,
        contentHash: hashes[i]!,
        updatedAt: now,
      };
    };
    const updated: number[] = [];
    const created: number[] = [];
    articles.forEach((article, i) => {
      const row = existing.get(article.id);
      if (row?.contentHash === hashes[i]) outcomes.push('unchanged');
      else if (row) {
        outcomes.push('updated');
        updated.push(i);
      } else {
        outcomes.push('created');
        created.push(i);
      }
    });
    if (updated.length === 0 && created.length === 0) return outcomes;

    const articleIds = new Map<string, string>();
    if (updated.length) {
      const ids = updated.map((i) => existing.get(articles[i]!.id)!.id);
      await applyChunkStats(tx, tenantId, ids, -1);
      await removeChunks(tx, tenantId, ids);
      for (const i of updated) {
        const id = existing.get(articles[i]!.id)!.id;
        await tx.update(kbArticles).set(fieldsOf(i)).where(eq(kbArticles.id, id));
        articleIds.set(articles[i]!.id, id);
      }
    }
    if (created.length) {
      const inserted = await tx
        .insert(kbArticles)
        .values(created.map((i) => ({ tenantId, externalId: articles[i]!.id, ...fieldsOf(i) })))
        .returning({ id: kbArticles.id, externalId: kbArticles.externalId });
      for (const row of inserted) articleIds.set(row.externalId, row.id);
    }

    const chunkRows = [...updated, ...created].flatMap((i) => {
      const article = articles[i]!;
      const articleId = articleIds.get(article.id)!;
      return chunkArticle(article.title, article.body).map((chunk) => ({
        tenantId,
        chunkId: `${article.id}#${chunk.ordinal}`,
        articleId,
        ordinal: chunk.ordinal,
        heading: chunk.heading,
        content: chunk.content,
        searchText: chunk.searchText,
      }));
    });
    for (let start = 0; start < chunkRows.length; start += CHUNK_ROWS_PER_INSERT) {
      await tx.insert(kbChunks).values(chunkRows.slice(start, start + CHUNK_ROWS_PER_INSERT));
    }
    const changedIds = [...articleIds.values()];
    await indexChunks(tx, changedIds);
    await applyChunkStats(tx, tenantId, changedIds, 1);
    return outcomes;
  });
}

/** Removes an article and its chunks; false when the tenant has no article with that id. */
export async function deleteArticle(db: Db, tenantId: string, externalId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockTenantKb(tx, tenantId);
    const [existing] = await tx
      .select({ id: kbArticles.id })
      .from(kbArticles)
      .where(and(eq(kbArticles.tenantId, tenantId), eq(kbArticles.externalId, externalId)));
    if (!existing) return false;
    await applyChunkStats(tx, tenantId, [existing.id], -1);
    await removeChunks(tx, tenantId, [existing.id]);
    await tx.delete(kbArticles).where(eq(kbArticles.id, existing.id));
    return true;
  });
}
