import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { KbArticleInput, KbImportFormat, KbImportSummary } from '../../lib/contract';
import type { Db } from '../db/client';
import { kbArticles } from '../db/schema';
import { readJsonl, readJsonlFile } from './formats/jsonl';
import { readMarkdownPath } from './formats/markdown';
import { listInputFiles, type KbRecord, type ReadOptions } from './formats/record';
import { readZendeskPath } from './formats/zendesk';
import { deleteArticle, upsertArticles } from './store';

export type { KbRecord, ReadOptions } from './formats/record';

/**
 * Articles stored per transaction. Past a few dozen the per-statement round trips stop mattering;
 * keeping batches small keeps a transaction's locks on the tenant's statistics short.
 */
const BATCH_ARTICLES = 100;
/** A batch is also cut when its bodies reach this many characters, so huge articles do not pile up. */
const BATCH_CHARS = 4_000_000;

export interface ImportOptions {
  /**
   * After an input read to its end without a fatal error, delete the tenant's articles the input no
   * longer has. Skipped records whose id could be read count as present, so a typo in one record
   * never deletes its article.
   */
  prune?: boolean;
}

/**
 * Stores a stream of parsed records in the tenant's knowledge base, whatever format they came from.
 * Records are consumed as they arrive, a batch at a time: memory holds one batch and the ids seen
 * (for prune), never the input. Malformed records are listed by position; the rest are imported.
 */
export async function importRecords(
  db: Db,
  tenantId: string,
  records: AsyncIterable<KbRecord>,
  options: ImportOptions = {},
): Promise<KbImportSummary> {
  const summary: KbImportSummary = { created: 0, updated: 0, unchanged: 0, pruned: 0, skipped: [] };
  const seen = options.prune ? new Set<string>() : null;
  let batch: KbArticleInput[] = [];
  let batchIds = new Set<string>();
  let batchChars = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    for (const outcome of await upsertArticles(db, tenantId, batch)) summary[outcome]++;
    batch = [];
    batchIds = new Set();
    batchChars = 0;
  };

  const iterator = records[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<KbRecord>;
      try {
        next = await iterator.next();
      } catch (err) {
        // The input broke off (unreadable file, aborted upload): keep what was read, prune nothing.
        summary.fatal = `reading stopped: ${(err as Error).message}`;
        break;
      }
      if (next.done) break;
      const record = next.value;
      if (record.article) {
        const article = record.article;
        // A second version of an article in the same input must see the first one stored.
        if (batchIds.has(article.id)) await flush();
        batch.push(article);
        batchIds.add(article.id);
        batchChars += article.body.length;
        seen?.add(article.id);
        if (batch.length >= BATCH_ARTICLES || batchChars >= BATCH_CHARS) await flush();
      } else {
        summary.skipped.push({
          position: record.position,
          error: record.error ?? 'no article',
          ...(record.line === undefined ? {} : { line: record.line }),
        });
        if (record.id) seen?.add(record.id);
        if (record.fatal) summary.fatal ??= `${record.position}: ${record.error}`;
      }
    }
    await flush();
  } finally {
    await iterator.return?.();
  }

  if (seen) {
    if (summary.fatal) summary.fatal += '; so nothing was pruned';
    else if (seen.size === 0) summary.fatal = 'the input has no articles; pruning would delete every article, so nothing was pruned';
    else summary.pruned = await pruneUnseen(db, tenantId, seen);
  }
  return summary;
}

/** Deletes the tenant's articles not in `seen`, one by one through deleteArticle so BM25 statistics stay exact. */
async function pruneUnseen(db: Db, tenantId: string, seen: Set<string>): Promise<number> {
  const rows = await db.select({ externalId: kbArticles.externalId }).from(kbArticles).where(eq(kbArticles.tenantId, tenantId));
  let pruned = 0;
  for (const { externalId } of rows) {
    if (!seen.has(externalId) && (await deleteArticle(db, tenantId, externalId))) pruned++;
  }
  return pruned;
}

/** The records of a file or folder in the given format. */
export function readKbPath(format: KbImportFormat, path: string, options: ReadOptions = {}): AsyncGenerator<KbRecord> {
  switch (format) {
    case 'jsonl':
      return readJsonlFile(path, options);
    case 'zendesk':
      return readZendeskPath(path, options);
    case 'markdown':
      return readMarkdownPath(path, options);
  }
}

/**
 * The format of `path` when none is given: a folder of Markdown files, a `.jsonl`/`.ndjson` file, or
 * a Zendesk export (`.json`, or a folder of them). Throws, naming `--format`, when it cannot tell.
 */
export async function detectFormat(path: string): Promise<KbImportFormat> {
  const info = await stat(path);
  if (info.isDirectory()) {
    const markdown = (await listInputFiles(path, ['.md', '.markdown'], { recursive: true })).length > 0;
    const json = (await listInputFiles(path, ['.json'], { recursive: false })).length > 0;
    if (markdown && json) throw new Error(`${path} holds both .md and .json files: pass --format markdown or --format zendesk`);
    if (markdown) return 'markdown';
    if (json) return 'zendesk';
    throw new Error(`${path} holds no .md or .json files: pass --format to say what to read`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'zendesk';
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  throw new Error(`cannot tell the format of ${path} from its name: pass --format jsonl, zendesk or markdown`);
}

/** Contract v1 JSONL from a stream (an upload, a test). */
export function importJsonl(db: Db, tenantId: string, input: Readable, options: ImportOptions = {}): Promise<KbImportSummary> {
  return importRecords(db, tenantId, readJsonl(input), options);
}

export function importJsonlFile(db: Db, tenantId: string, path: string, options: ImportOptions = {}): Promise<KbImportSummary> {
  return importRecords(db, tenantId, readJsonlFile(path), options);
}
