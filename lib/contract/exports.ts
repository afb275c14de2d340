import { z } from 'zod';
import { Slug } from './common';

/** What `GET /v1/admin/exports/:kind` and `loopdesk export <kind>` produce. */
export const EXPORT_KINDS = ['sft', 'preferences', 'retrieval', 'kb-gaps'] as const;
export const ExportKind = z.enum(EXPORT_KINDS);
export type ExportKind = z.infer<typeof ExportKind>;

/**
 * The formats of each kind; the first is the default.
 * - sft `openai`: OpenAI chat fine-tuning JSONL, `{messages}` per line.
 * - preferences `openai`: OpenAI preference (DPO) fine-tuning JSONL, `{input, preferred_output,
 *   non_preferred_output}` and nothing else; `trl`: TRL conversational `{prompt, chosen, rejected}`
 *   (message lists) plus metadata columns; `trl-text`: the same with plain-text prompt and replies.
 * - retrieval `qrels`: TREC qrels lines `qid 0 docid rel`; `queries`: `qid<TAB>text` lines;
 *   `queries-jsonl`: `{_id, text}` lines; `triplets`: `{query, positive, negative}` JSONL.
 * - kb-gaps `markdown` or `csv`: the knowledge-gap report.
 */
export const EXPORT_FORMATS = {
  sft: ['openai'],
  preferences: ['openai', 'trl', 'trl-text'],
  retrieval: ['qrels', 'queries', 'queries-jsonl', 'triplets'],
  'kb-gaps': ['markdown', 'csv'],
} as const satisfies Record<ExportKind, readonly string[]>;
export type ExportFormat = (typeof EXPORT_FORMATS)[ExportKind][number];

/** Which event time the `from`/`to` window applies to: when the server received it, or when the agent acted. */
export const ExportTimeField = z.enum(['received', 'created']);
export type ExportTimeField = z.infer<typeof ExportTimeField>;

/** Adoption outcomes from best to weakest; `minOutcome` keeps this one and those before it. */
export const SFT_OUTCOMES = ['verbatim', 'edited', 'partial'] as const;

/** Where preference pairs come from: explicit A/B choices, verbatim adoption over the other shown candidate, or both. */
export const PreferenceSource = z.enum(['all', 'preference', 'adoption']);
export type PreferenceSource = z.infer<typeof PreferenceSource>;

/** `2025-03-01` (midnight UTC) or an ISO 8601 date-time with offset. */
const Instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected an ISO 8601 date (2025-03-01) or date-time with offset (2025-03-01T09:00:00Z)',
});

/** Options only some kinds take, so that a misplaced one is an error rather than silently ignored. */
const KIND_OPTIONS: Record<string, ExportKind> = {
  minOutcome: 'sft',
  minStrength: 'preferences',
  source: 'preferences',
};

/**
 * The query of `GET /v1/admin/exports/:kind`, with `kind` from the path. Every filter narrows the
 * annotation events an export reads; the tenant is always the token's (the local CLI's system
 * credential names it with `tenant`).
 */
export const ExportRequest = z
  .strictObject({
    kind: ExportKind,
    /** One of EXPORT_FORMATS[kind]; the first when absent. */
    format: z.string().min(1).max(32).optional(),
    /** Inclusive start of the window. */
    from: Instant.optional(),
    /** Exclusive end of the window. */
    to: Instant.optional(),
    time: ExportTimeField.default('received'),
    /** Team slug or id: events recorded by that team's agents. */
    team: z.string().trim().min(1).max(128).optional(),
    /** Experiment key the events were recorded under. */
    experiment: z.string().min(1).max(64).optional(),
    /** Arm of that experiment; needs `experiment`. */
    arm: z.string().min(1).max(64).optional(),
    /** Only for the system credential of the local CLI, which has no tenant of its own. */
    tenant: Slug.optional(),
    /** sft: the weakest adoption outcome kept (default `partial`: every adopted reply). */
    minOutcome: z.enum(SFT_OUTCOMES).optional(),
    /** preferences: the weakest explicit choice kept, 1 = slightly, 2 = better, 3 = much better; adoption pairs have none and are dropped by it. */
    minStrength: z.enum(['1', '2', '3']).transform(Number).optional(),
    /** preferences: which pairs (default `all`). */
    source: PreferenceSource.optional(),
    /**
     * sft and preferences: the generator prompt version whose system prompt and rendering the
     * prompt messages use; by default the adopted candidate's own (sft) or the first arm's (preferences).
     */
    promptVersion: z.string().min(1).max(64).optional(),
  })
  .superRefine((request, ctx) => {
    const formats: readonly string[] = EXPORT_FORMATS[request.kind];
    if (request.format !== undefined && !formats.includes(request.format)) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: `${request.kind} exports as ${formats.join(', ')}` });
    }
    for (const [option, kind] of Object.entries(KIND_OPTIONS)) {
      if (request[option as keyof typeof request] !== undefined && request.kind !== kind) {
        ctx.addIssue({ code: 'custom', path: [option], message: `only ${kind} exports take this option` });
      }
    }
    if (request.promptVersion !== undefined && request.kind !== 'sft' && request.kind !== 'preferences') {
      ctx.addIssue({ code: 'custom', path: ['promptVersion'], message: 'only sft and preferences exports take this option' });
    }
    if (request.minStrength !== undefined && request.source === 'adoption') {
      ctx.addIssue({ code: 'custom', path: ['minStrength'], message: 'adoption pairs have no strength; use it with source all or preference' });
    }
    if (request.arm !== undefined && request.experiment === undefined) {
      ctx.addIssue({ code: 'custom', path: ['arm'], message: 'an arm needs its experiment' });
    }
    if (request.from && request.to && instant(request.from) >= instant(request.to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
    }
  })
  .transform((request) => ({ ...request, format: request.format ?? EXPORT_FORMATS[request.kind][0] }));
export type ExportRequest = z.infer<typeof ExportRequest>;
export type ExportRequestInput = z.input<typeof ExportRequest>;

/** A `from`/`to` value as a point in time (a bare date is midnight UTC). */
export function instant(value: string): Date {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
}

/** What each format is served as. */
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  openai: 'application/x-ndjson; charset=utf-8',
  trl: 'application/x-ndjson; charset=utf-8',
  'trl-text': 'application/x-ndjson; charset=utf-8',
  qrels: 'text/plain; charset=utf-8',
  queries: 'text/tab-separated-values; charset=utf-8',
  'queries-jsonl': 'application/x-ndjson; charset=utf-8',
  triplets: 'application/x-ndjson; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** File name extension of each format, for `Content-Disposition`. */
export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = {
  openai: 'jsonl',
  trl: 'jsonl',
  'trl-text': 'jsonl',
  qrels: 'qrels',
  queries: 'tsv',
  'queries-jsonl': 'jsonl',
  triplets: 'jsonl',
  markdown: 'md',
  csv: 'csv',
};
