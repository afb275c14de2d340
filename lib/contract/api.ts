import { z } from 'zod';
import { ExperimentRef, Role, Slug } from './common';
import { TicketContext } from './ticket';

/** Most events one `POST /v1/events` may carry. */
export const MAX_EVENTS_PER_BATCH = 1_000;
/** Largest request body the server reads, in bytes. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The envelope is checked first; each event is then validated on its own. */
export const EventBatchRequest = z.object({
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

export const EventResultStatus = z.enum(['accepted', 'duplicate', 'rejected']);
export type EventResultStatus = z.infer<typeof EventResultStatus>;

export const EventResult = z.object({
  /** The event's id, or `events[i]` when the event had no readable id. */
  id: z.string(),
  status: EventResultStatus,
  /** For rejected events: the zod path and message, e.g. `events[3].outcome: Invalid option`. */
  error: z.string().optional(),
});
export type EventResult = z.infer<typeof EventResult>;

export const EventBatchResponse = z.object({ results: z.array(EventResult) });
export type EventBatchResponse = z.infer<typeof EventBatchResponse>;

export const RetrieveRequest = z.object({
  query: z.string().trim().min(1).max(20_000),
  k: z.int().min(1).max(100).default(8),
});
export type RetrieveRequest = z.infer<typeof RetrieveRequest>;

export const RetrievedArticle = z.object({
  articleId: z.string(),
  chunkId: z.string(),
  title: z.string(),
  score: z.number(),
  rank: z.int().min(1),
});
export type RetrievedArticle = z.infer<typeof RetrievedArticle>;

export const RetrieveResponse = z.object({ results: z.array(RetrievedArticle) });
export type RetrieveResponse = z.infer<typeof RetrieveResponse>;

export const SuggestRequest = TicketContext;
export type SuggestRequest = z.infer<typeof SuggestRequest>;

/** An article as the overlay shows it: `n` is the number candidates cite as `[n]`. */
export const SuggestedArticle = RetrievedArticle.extend({
  n: z.int().min(1),
  url: z.string().nullable(),
  snippet: z.string(),
});
export type SuggestedArticle = z.infer<typeof SuggestedArticle>;

export const Candidate = z.object({
  id: z.string(),
  arm: z.string(),
  model: z.string(),
  text: z.string(),
  /** Article numbers (`n`) the text cites. */
  citations: z.array(z.int().min(1)),
  /**
   * Set when the language model failed and the text is the extractive reply instead: `timeout`,
   * `http_<status>`, `connection`, `incomplete`, `malformed`, `empty`, `cancelled` or `error`.
   * Absent when the text is what the arm's generator produced.
   */
  fallback: z.string().min(1).max(64).optional(),
  /**
   * URLs in the text that none of the cited articles contains (a model's invention, or a link a
   * hostile ticket planted). The overlay warns before such a reply is inserted. Absent when none.
   */
  unbackedUrls: z.array(z.string().max(2_000)).max(50).optional(),
});
export type Candidate = z.infer<typeof Candidate>;

/**
 * Whether the overlay should ask for preference and relevance labels on this suggestion (an
 * experiment's annotation sampling, drawn per suggestion). Absent, as from servers before
 * experiments, means true.
 */
export const Annotate = z.boolean().optional();

export const SuggestResponse = z.object({
  suggestionId: z.uuid(),
  /**
   * The experiment and arm behind the candidates: `{ key: 'baseline', arm: 'pairwise' }` outside
   * any experiment; the arm's name in single mode; `left+right` (the two arms, in the order of
   * `candidates`) in pairwise mode. Each candidate's own `arm` names its arm.
   */
  experiment: ExperimentRef.nullable(),
  annotate: Annotate,
  candidates: z.array(Candidate),
  articles: z.array(SuggestedArticle),
  latencyMs: z.number(),
});
export type SuggestResponse = z.infer<typeof SuggestResponse>;

export const TokenCreateRequest = z.object({
  tenant: Slug,
  team: Slug,
  role: Role,
  name: Slug,
});
export type TokenCreateRequest = z.infer<typeof TokenCreateRequest>;
export const TokenCreateResponse = z.object({ token: z.string() });

/** One line of the Contract v1 JSONL knowledge-base format. */
export const KbArticleInput = z.object({
  id: z.string().trim().min(1).max(256),
  title: z.string().trim().min(1).max(1_000),
  body: z.string().max(1_000_000),
  url: z.string().max(2_000).optional(),
  locale: z.string().max(35).optional(),
});
export type KbArticleInput = z.infer<typeof KbArticleInput>;

/** What `loopdesk kb import` reads: Contract v1 JSONL, a Zendesk Help Center export, a Markdown folder. */
export const KbImportFormat = z.enum(['jsonl', 'zendesk', 'markdown']);
export type KbImportFormat = z.infer<typeof KbImportFormat>;

export const KbImportSummary = z.object({
  created: z.int(),
  updated: z.int(),
  unchanged: z.int(),
  /** Articles deleted because the input no longer has them (`prune`); 0 without it. */
  pruned: z.int(),
  /**
   * Records not imported, in input order: where (`line 12`, `page 3 article 17`, `faq/refunds.md`)
   * and why (malformed, or a Zendesk draft). `line` is kept for JSONL input.
   */
  skipped: z.array(z.object({ position: z.string(), error: z.string(), line: z.int().optional() })),
  /** Set when the input could not be read to its end: what came before was imported, nothing was pruned. */
  fatal: z.string().optional(),
});
export type KbImportSummary = z.infer<typeof KbImportSummary>;

/** `POST /v1/kb/articles`: what happened to the article sent. */
export const KbArticleUpsertResponse = z.object({
  id: z.string(),
  outcome: z.enum(['created', 'updated', 'unchanged']),
});
export type KbArticleUpsertResponse = z.infer<typeof KbArticleUpsertResponse>;

/** Who the bearer token belongs to; `GET /v1/me`. */
export const WhoAmI = z.object({
  tenant: z.string(),
  team: z.string(),
  agent: z.string(),
  role: Role,
});
export type WhoAmI = z.infer<typeof WhoAmI>;

/** Every 4xx/5xx answer has this body. */
export const ApiError = z.object({ error: z.string() });
