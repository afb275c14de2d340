import { z } from 'zod';
import { ExperimentRef, Helpdesk } from './common';
import { ADOPTION_OUTCOMES, EVENT_SCHEMA_VERSION, PREFERENCE_CHOICES, RATIONALE_CODES, RELEVANCE_LABELS } from './vocabulary';

const Id = z.string().min(1).max(128);

/**
 * Fields every annotation event carries. `tenantId` and `agentId` may be sent but are ignored:
 * the server always takes tenant, team and agent from the bearer token.
 */
const common = {
  id: z.uuidv7(),
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  tenantId: z.string().max(128).optional(),
  agentId: z.string().max(128).optional(),
  helpdesk: Helpdesk,
  ticketId: Id,
  suggestionId: z.uuid(),
  experiment: ExperimentRef.nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  clientVersion: z.string().min(1).max(32),
};

export const CandidateSide = z.enum(['left', 'right', 'single']);
export type CandidateSide = z.infer<typeof CandidateSide>;

export const SuggestionShownEvent = z.object({
  ...common,
  type: z.literal('suggestion.shown'),
  candidates: z
    .array(
      z.object({
        id: Id,
        arm: z.string().max(64),
        model: z.string().max(128),
        side: CandidateSide,
      }),
    )
    .min(1)
    .max(4),
  articles: z
    .array(
      z.object({
        articleId: Id,
        chunkId: Id.optional(),
        rank: z.int().min(1).max(100),
        score: z.number(),
      }),
    )
    .max(100),
  latencyMs: z.number().min(0).max(600_000),
});

export const PreferenceChoice = z.enum(PREFERENCE_CHOICES);
export type PreferenceChoice = z.infer<typeof PreferenceChoice>;

/** A is the candidate shown on the left, B the one on the right. */
export const PreferenceEvent = z
  .object({
    ...common,
    type: z.literal('preference'),
    candidateA: Id,
    candidateB: Id,
    choice: PreferenceChoice.nullable(),
    bothUnusable: z.boolean().default(false),
  })
  .refine((e) => e.choice !== null || e.bothUnusable, {
    message: 'choose a side or mark both unusable',
    path: ['choice'],
  });

export const AdoptionOutcome = z.enum(ADOPTION_OUTCOMES);
export type AdoptionOutcome = z.infer<typeof AdoptionOutcome>;

export const InsertMethod = z.enum(['insert', 'paste', 'copy', 'typed']);
export type InsertMethod = z.infer<typeof InsertMethod>;

export const SendPath = z.enum(['button', 'status_menu', 'shortcut', 'comment_appeared']);
export type SendPath = z.infer<typeof SendPath>;

export const RationaleCode = z.enum(RATIONALE_CODES);
export type RationaleCode = z.infer<typeof RationaleCode>;

/** Why the agent did not use a suggestion, or rewrote it: chips plus optional free text. */
export const AdoptionRationale = z.object({
  codes: z.array(RationaleCode).max(RATIONALE_CODES.length),
  text: z.string().trim().max(2_000).optional(),
});
export type AdoptionRationale = z.infer<typeof AdoptionRationale>;

export const AdoptionEvent = z.object({
  ...common,
  type: z.literal('adoption'),
  /** The candidate the sent reply is closest to; null when no candidate was used. */
  candidateId: Id.nullable(),
  insertMethod: InsertMethod.nullable(),
  outcome: AdoptionOutcome,
  similarity: z.number().min(0).max(1),
  editDistance: z.int().min(0),
  timeToSendMs: z.number().min(0).nullable(),
  sendPath: SendPath,
  /** The reply as sent, after redaction, so that suggestion → final is a correction pair. */
  finalText: z.string().max(50_000),
  rationale: AdoptionRationale.optional(),
});

export const RelevanceLabel = z.enum(RELEVANCE_LABELS);
export type RelevanceLabel = z.infer<typeof RelevanceLabel>;

export const KnowledgeRelevanceEvent = z.object({
  ...common,
  type: z.literal('knowledge.relevance'),
  articleId: Id,
  chunkId: Id.optional(),
  rank: z.int().min(1).max(100),
  label: RelevanceLabel,
});

export const KnowledgeMissingEvent = z.object({
  ...common,
  type: z.literal('knowledge.missing'),
  description: z.string().trim().min(1).max(2_000),
  proposedTitle: z.string().max(300).optional(),
  category: z.string().max(100).optional(),
});

export const AnnotationEvent = z.discriminatedUnion('type', [
  SuggestionShownEvent,
  PreferenceEvent,
  AdoptionEvent,
  KnowledgeRelevanceEvent,
  KnowledgeMissingEvent,
]);
export type AnnotationEvent = z.infer<typeof AnnotationEvent>;
export type AnnotationEventInput = z.input<typeof AnnotationEvent>;
export type AnnotationEventType = AnnotationEvent['type'];
export const EVENT_TYPES = [
  'suggestion.shown',
  'preference',
  'adoption',
  'knowledge.relevance',
  'knowledge.missing',
] as const satisfies readonly AnnotationEventType[];

/** The fields every event shares; the rest is the type's own payload. */
export const COMMON_EVENT_FIELDS = Object.keys(common) as (keyof typeof common)[];
