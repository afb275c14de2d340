import { z } from 'zod';
import { Annotate, Candidate, SuggestedArticle } from './api';
import { ExperimentRef } from './common';

/**
 * `POST /v1/suggest` with `Accept: text/event-stream` answers Server-Sent Events. Each message is
 * `event: <type>` and one `data:` line holding the JSON object below, whose `type` repeats the event
 * name so that a client can validate the data alone. Order: one `meta`; then `delta`s of both
 * candidates interleaved as the model writes them; one `candidate` per candidate when it is final;
 * `done` once the suggestion is stored. `error` ends the stream early. Errors found before the stream
 * starts (bad body, bad token) are ordinary JSON answers with their status code.
 */
export const SuggestStreamMeta = z.object({
  type: z.literal('meta'),
  suggestionId: z.uuid(),
  experiment: ExperimentRef.nullable(),
  /** As the JSON answer's `annotate`: absent means true. */
  annotate: Annotate,
  articles: z.array(SuggestedArticle),
  /** The candidates that will follow, in the order of the JSON answer's `candidates`. */
  candidates: z.array(z.object({ id: z.string(), arm: z.string(), model: z.string() })),
});
export type SuggestStreamMeta = z.infer<typeof SuggestStreamMeta>;

/** Text to append to a candidate's reply; citations the articles do not back are already removed. */
export const SuggestStreamDelta = z.object({
  type: z.literal('delta'),
  candidateId: z.string(),
  text: z.string(),
});
export type SuggestStreamDelta = z.infer<typeof SuggestStreamDelta>;

/** The final candidate: its text replaces whatever the deltas built up. */
export const SuggestStreamCandidate = z.object({
  type: z.literal('candidate'),
  candidate: Candidate,
});
export type SuggestStreamCandidate = z.infer<typeof SuggestStreamCandidate>;

export const SuggestStreamDone = z.object({
  type: z.literal('done'),
  /** Server time from request to stored suggestion, as `latencyMs` of the JSON answer. */
  latencyMs: z.number(),
});
export type SuggestStreamDone = z.infer<typeof SuggestStreamDone>;

export const SuggestStreamError = z.object({
  type: z.literal('error'),
  error: z.string(),
});
export type SuggestStreamError = z.infer<typeof SuggestStreamError>;

export const SuggestStreamEvent = z.discriminatedUnion('type', [
  SuggestStreamMeta,
  SuggestStreamDelta,
  SuggestStreamCandidate,
  SuggestStreamDone,
  SuggestStreamError,
]);
export type SuggestStreamEvent = z.infer<typeof SuggestStreamEvent>;

export const SUGGEST_STREAM_CONTENT_TYPE = 'text/event-stream';
