import type { Readable } from 'node:stream';
import { z } from 'zod';
import { articleRecord, describeNamed, jsonLines, type KbRecord } from './record';

/**
 * The wire form of parsed records (`POST /v1/admin/kb/import?format=records`): one KbRecord as JSON
 * per line. The CLI reads every format itself, because a Markdown folder cannot be uploaded as one
 * stream, and sends what it parsed; positions then name the user's own files and lines, and
 * records the CLI could not parse still reach the server's summary and keep their ids from pruning.
 */
const WireRecord = z.object({
  position: z.string().min(1).max(2_000),
  line: z.int().min(1).optional(),
  article: z.unknown().optional(),
  error: z.string().max(10_000).optional(),
  id: z.string().max(256).optional(),
  fatal: z.boolean().optional(),
});

/** Reads the wire form; every article is validated again here, as any request body is. */
export async function* readRecords(input: Readable): AsyncGenerator<KbRecord> {
  for await (const entry of jsonLines(input)) {
    const n = entry.n;
    if ('error' in entry) {
      yield { position: `record ${n}`, error: entry.error };
      continue;
    }
    const value = entry.value;
    const parsed = WireRecord.safeParse(value);
    if (!parsed.success) {
      yield { position: `record ${n}`, error: describeNamed(parsed.error, 'record') };
      continue;
    }
    const { position, line, article, error, id, fatal } = parsed.data;
    const extra = line === undefined ? {} : { line };
    if (article !== undefined) yield articleRecord(position, article, extra);
    // An empty reason would tell the user nothing.
    else yield { position, ...extra, error: error || 'no article', ...(id ? { id } : {}), ...(fatal ? { fatal } : {}) };
  }
}

/** Lines of the wire form, grouped into chunks of about 64 KiB so the upload is not one write per record. */
export async function* encodeRecords(records: AsyncIterable<KbRecord>): AsyncGenerator<string> {
  let pending = '';
  for await (const record of records) {
    // The server takes errors of up to 10,000 characters; a longer one is cut rather than lost.
    const wire = record.error && record.error.length > 10_000 ? { ...record, error: `${record.error.slice(0, 9_999)}…` } : record;
    pending += `${JSON.stringify(wire)}\n`;
    if (pending.length >= 64 * 1024) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}
