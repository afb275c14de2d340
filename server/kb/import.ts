import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { describeIssues, KbArticleInput, type KbImportSummary } from '../../lib/contract';
import type { Db } from '../db/client';
import { upsertArticle } from './store';

export type KbFormat = 'jsonl';

export interface ImportProgress {
  (done: number): void;
}

/**
 * Streams Contract v1 JSONL (`{id, title, body, url?, locale?}` per line) into the knowledge base.
 * A malformed line is reported with its line number and skipped; the rest is imported.
 */
export async function importJsonl(
  db: Db,
  tenantId: string,
  input: Readable,
  onProgress?: ImportProgress,
): Promise<KbImportSummary> {
  const summary: KbImportSummary = { created: 0, updated: 0, unchanged: 0, skipped: [] };
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let done = 0;
  for await (const raw of lines) {
    lineNo++;
    if (!raw.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      summary.skipped.push({ line: lineNo, error: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const parsed = KbArticleInput.safeParse(value);
    if (!parsed.success) {
      summary.skipped.push({ line: lineNo, error: describeIssues(parsed.error) });
      continue;
    }
    summary[await upsertArticle(db, tenantId, parsed.data)]++;
    onProgress?.(++done);
  }
  return summary;
}

export function importJsonlFile(db: Db, tenantId: string, path: string, onProgress?: ImportProgress) {
  return importJsonl(db, tenantId, createReadStream(path, 'utf8'), onProgress);
}
