import { EXPORT_CONTENT_TYPES, EXPORT_EXTENSIONS, type ExportFormat, type ExportRequest } from '../../lib/contract';
import type { Database } from '../db/client';
import { promptVersionOption } from './context';
import { buildKbGapReport, kbGapCsv, kbGapMarkdown } from './kb-gaps';
import { preferenceLines, type PreferenceFormat } from './preferences';
import { retrievalLines, type RetrievalFormat } from './retrieval';
import { resolveScope, PAGE_SIZE, type ExportScope } from './scope';
import { sftLines } from './sft';

export { ExportInputError } from './scope';

/** An export ready to stream: what it is served as, and its text in pieces (one page of rows each). */
export interface ExportStream {
  contentType: string;
  /** A suggested file name, e.g. `preferences-trl.jsonl`. */
  filename: string;
  chunks: AsyncGenerator<string>;
}

/**
 * Prepares an export of one tenant's data. Bad filters (an unknown team or prompt version) throw an
 * ExportInputError here, before anything is streamed; rows are then read page by page as the
 * consumer pulls `chunks`.
 */
export async function createExport(
  database: Database,
  tenantId: string,
  request: ExportRequest,
  options: { pageSize?: number; now?: Date } = {},
): Promise<ExportStream> {
  const scope = await resolveScope(database, tenantId, request, options.pageSize ?? PAGE_SIZE);
  const promptVersion = promptVersionOption(request.promptVersion);
  const format = request.format as ExportFormat;
  return {
    contentType: EXPORT_CONTENT_TYPES[format],
    filename: `${request.kind}-${format}.${EXPORT_EXTENSIONS[format]}`,
    chunks: chunksOf(database, scope, request, promptVersion, options.now),
  };
}

async function* chunksOf(
  database: Database,
  scope: ExportScope,
  request: ExportRequest,
  promptVersion: ReturnType<typeof promptVersionOption>,
  now: Date | undefined,
): AsyncGenerator<string> {
  switch (request.kind) {
    case 'sft':
      yield* sftLines(database, scope, { minOutcome: request.minOutcome, promptVersion });
      return;
    case 'preferences':
      yield* preferenceLines(database, scope, {
        format: request.format as PreferenceFormat,
        minStrength: request.minStrength,
        source: request.source,
        promptVersion,
      });
      return;
    case 'retrieval':
      yield* retrievalLines(database, scope, request.format as RetrievalFormat);
      return;
    case 'kb-gaps': {
      const report = await buildKbGapReport(database, scope);
      yield request.format === 'csv' ? kbGapCsv(report) : kbGapMarkdown(report, describeScope(request), now ?? new Date());
      return;
    }
  }
}

/** The filters in words, for report headers: "events received from 2025-03-01 to 2025-04-01, team support". */
export function describeScope(request: ExportRequest): string {
  const parts = [request.from || request.to ? `events ${request.time}` : 'all events'];
  if (request.from) parts[0] += ` from ${request.from}`;
  if (request.to) parts[0] += ` until ${request.to} (exclusive)`;
  if (request.team) parts.push(`team ${request.team}`);
  if (request.experiment) parts.push(`experiment ${request.experiment}${request.arm ? `, arm ${request.arm}` : ''}`);
  return parts.join(', ');
}
