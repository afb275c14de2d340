import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** PostgreSQL's tsvector; only ever written by the database (generated column). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  createdAt: createdAt(),
});

/** The owning tenant; a tenant's data goes with it. */
const tenantRef = () =>
  uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });

export const teams = pgTable(
  'teams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    slug: text('slug').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('teams_tenant_slug').on(t.tenantId, t.slug)],
);

export const agents = pgTable(
  'agents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
    /**
     * For agents created by enrollment: the helpdesk and the agent's stable id there (the
     * helpdesk's user id, or `email:<address>` when the page shows only an email address), and the
     * name the helpdesk shows. Null for agents created by `loopdesk token create`.
     */
    helpdesk: text('helpdesk'),
    externalId: text('external_id'),
    displayName: text('display_name'),
  },
  (t) => [
    uniqueIndex('agents_tenant_name').on(t.tenantId, t.name),
    uniqueIndex('agents_tenant_helpdesk_identity').on(t.tenantId, t.helpdesk, t.externalId),
  ],
);

/** Bearer tokens, stored as SHA-256 hashes; the plaintext is shown once at creation. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  tenantId: uuid('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  teamId: uuid('team_id')
    .notNull()
    .references(() => teams.id, { onDelete: 'cascade' }),
  agentId: uuid('agent_id')
    .notNull()
    .references(() => agents.id, { onDelete: 'cascade' }),
  role: text('role', { enum: ['agent', 'lead', 'admin'] }).notNull(),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  /** The enrollment token this token was exchanged for; null for tokens an admin created. */
  enrollmentTokenId: uuid('enrollment_token_id').references(() => enrollmentTokens.id, { onDelete: 'set null' }),
  /** The enrolling browser's own random id: re-enrolling the same agent on it revokes its earlier token. */
  deviceId: text('device_id'),
});

/**
 * Enrollment tokens, stored as SHA-256 hashes like API tokens: exchanged by each agent's browser
 * (`POST /v1/enroll`) for an API token of its own, in this tenant and team, with this role.
 */
export const enrollmentTokens = pgTable(
  'enrollment_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tokenHash: text('token_hash').notNull().unique(),
    tenantId: tenantRef(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['agent', 'lead'] }).notNull(),
    createdAt: createdAt(),
    /** The admin agent that created it; null when the local CLI did. */
    createdBy: uuid('created_by').references(() => agents.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** How many exchanges it allows; null for no limit. */
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('enrollment_tokens_tenant').on(t.tenantId)],
);

export const kbArticles = pgTable(
  'kb_articles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    /** The article's own id from the import source. */
    externalId: text('external_id').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    url: text('url'),
    locale: text('locale'),
    /** Hash of the imported fields, so a re-import can tell unchanged articles apart. */
    contentHash: text('content_hash').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('kb_articles_tenant_external').on(t.tenantId, t.externalId)],
);

/** Articles split at section headings; the title is carried into every chunk's searchable text. */
export const kbChunks = pgTable(
  'kb_chunks',
  {
    tenantId: uuid('tenant_id').notNull(),
    /** `<externalId>#<ordinal>`: stable across re-imports of an unchanged article. */
    chunkId: text('chunk_id').notNull(),
    articleId: uuid('article_id')
      .notNull()
      .references(() => kbArticles.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    heading: text('heading'),
    content: text('content').notNull(),
    searchText: text('search_text').notNull(),
    /** Number of indexed word occurrences (BM25's document length); set from `tsv` after insert. */
    docLen: integer('doc_len'),
    tsv: tsvector('tsv')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('english', search_text)`),
    /** The same text unstemmed and with stop words kept: the exact-form field BM25 fuses with `tsv`. */
    tsvExact: tsvector('tsv_exact')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('simple', search_text)`),
    docLenExact: integer('doc_len_exact'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.chunkId] }),
    index('kb_chunks_tsv').using('gin', t.tsv),
    index('kb_chunks_article').on(t.articleId),
  ],
);

/**
 * The inverted index BM25 scores from: one row per (term, chunk) with the term's frequency in the
 * chunk and the chunk's length in that field, so a query reads only the postings of its own terms.
 * Stemmed lexemes are stored as they are; exact-form words carry a leading "=" (see EXACT_PREFIX).
 */
export const kbPostings = pgTable(
  'kb_postings',
  {
    tenantId: uuid('tenant_id').notNull(),
    term: text('term').notNull(),
    chunkId: text('chunk_id').notNull(),
    tf: integer('tf').notNull(),
    docLen: integer('doc_len').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.term, t.chunkId] }),
    // No foreign key to kb_chunks: checking it was nearly half the cost of writing postings. The KB
    // store deletes a chunk's postings with the chunk, in the same transaction.
    index('kb_postings_chunk').on(t.tenantId, t.chunkId),
  ],
);

/** Per-tenant document frequency of each lexeme over KB chunks, kept exact on every article change (BM25's IDF). */
export const kbTermStats = pgTable(
  'kb_term_stats',
  {
    tenantId: uuid('tenant_id').notNull(),
    term: text('term').notNull(),
    df: integer('df').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.term] })],
);

/** Per-tenant chunk count and total length (BM25's N and average document length). */
export const kbStats = pgTable('kb_stats', {
  tenantId: uuid('tenant_id').primaryKey(),
  chunks: integer('chunks').notNull(),
  totalLen: bigint('total_len', { mode: 'number' }).notNull(),
  totalLenExact: bigint('total_len_exact', { mode: 'number' }).notNull().default(0),
});

/** Every suggestion served, so that annotation events can be joined to what the agent saw. */
export const suggestions = pgTable(
  'suggestions',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    teamId: uuid('team_id').notNull(),
    agentId: uuid('agent_id').notNull(),
    helpdesk: text('helpdesk').notNull(),
    ticketId: text('ticket_id').notNull(),
    context: jsonb('context').notNull(),
    experiment: jsonb('experiment'),
    candidates: jsonb('candidates').notNull(),
    articles: jsonb('articles').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    /** Per candidate: model, token usage, latency, time to first token, fallback reason. */
    generation: jsonb('generation'),
    createdAt: createdAt(),
  },
  (t) => [index('suggestions_tenant_created').on(t.tenantId, t.createdAt)],
);

/** Append-only annotation events; `id` is the client's UUIDv7 and the idempotency key. */
export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    teamId: uuid('team_id').notNull(),
    agentId: uuid('agent_id').notNull(),
    type: text('type').notNull(),
    helpdesk: text('helpdesk').notNull(),
    ticketId: text('ticket_id').notNull(),
    suggestionId: uuid('suggestion_id').notNull(),
    experimentKey: text('experiment_key'),
    experimentArm: text('experiment_arm'),
    /** The whole validated event, with tenant and agent from the token. */
    payload: jsonb('payload').notNull(),
    clientCreatedAt: timestamp('client_created_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('events_tenant_type_received').on(t.tenantId, t.type, t.receivedAt),
    index('events_suggestion').on(t.suggestionId),
    // The experiment metrics' generated columns (metric_arms, metric_value, metric_outcome) and
    // their covering index events_experiment_metrics come from the hand-written migration 0008,
    // outside drizzle-kit: see that file for what each column holds. Migration 0009, also
    // hand-written, adds a statement trigger on this table that keeps the experiment metrics'
    // counts (experiment_suggestions, experiment_metric_hours, experiment_adoption_times).
  ],
);

/**
 * A tenant's selector fixes for one helpdesk (data, never code): the keys given replace the
 * extension's built-in lists, so a helpdesk UI change is fixed for every agent without a release.
 */
export const selectorOverrides = pgTable(
  'selector_overrides',
  {
    tenantId: tenantRef(),
    helpdesk: text('helpdesk').notNull(),
    selectors: jsonb('selectors').notNull(),
    updatedBy: uuid('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.helpdesk] })],
);

/** How often each hook stopped matching on agents' pages, per extension version. */
export const selectorMisses = pgTable(
  'selector_misses',
  {
    tenantId: tenantRef(),
    helpdesk: text('helpdesk').notNull(),
    selectorKey: text('selector_key').notNull(),
    clientVersion: text('client_version').notNull(),
    overridden: boolean('overridden').notNull(),
    count: integer('count').notNull().default(1),
    firstSeen: timestamp('first_seen', { withTimezone: true }).notNull().defaultNow(),
    lastSeen: timestamp('last_seen', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.helpdesk, t.selectorKey, t.clientVersion, t.overridden] })],
);

/**
 * Versions of what the flywheel learns from annotations, per tenant and kind. A version is a
 * `candidate` until its held-out evaluation beats the promoted one; at most one version of a kind is
 * `promoted` per tenant; a replaced or rolled-back version is `retired`.
 */
export const models = pgTable(
  'models',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantRef(),
    /**
     * `retrieval`: feedback document expansion plus the learned reranker over it. `reply-memory`:
     * adopted replies indexed by their tickets' words, which generation starts from (server/generation/reply-memory.ts).
     */
    kind: text('kind').notNull(),
    version: integer('version').notNull(),
    params: jsonb('params').notNull(),
    /** Held-out metrics of this version and of the one it was compared with. */
    metrics: jsonb('metrics').notNull(),
    status: text('status').notNull(),
    /** Labels, queries and articles it learned from, and the held-out slice. */
    trainedOn: jsonb('trained_on').notNull(),
    createdAt: createdAt(),
    promotedAt: timestamp('promoted_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('models_tenant_kind_version').on(t.tenantId, t.kind, t.version), index('models_tenant_kind_status').on(t.tenantId, t.kind, t.status)],
);

/**
 * Experiments leads switch on and off (lib/contract/experiments.ts). `arms` and `teams` are kept as
 * the contract's JSON; `control_arm` is null while the lead has not named one (the first arm then).
 */
export const experiments = pgTable(
  'experiments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    key: text('key').notNull(),
    description: text('description').notNull().default(''),
    mode: text('mode', { enum: ['pairwise', 'single'] }).notNull(),
    status: text('status', { enum: ['draft', 'running', 'paused', 'stopped'] }).notNull(),
    trafficShare: doublePrecision('traffic_share').notNull(),
    annotationSampling: doublePrecision('annotation_sampling').notNull(),
    teams: jsonb('teams').notNull(),
    arms: jsonb('arms').notNull(),
    controlArm: text('control_arm'),
    /** Bumped on every change; agents' assignments are versioned by it. */
    revision: integer('revision').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** The agent (lead or admin) who created or last changed it; kept when the agent is deleted. */
    createdBy: uuid('created_by'),
    updatedBy: uuid('updated_by'),
  },
  (t) => [uniqueIndex('experiments_tenant_key').on(t.tenantId, t.key), index('experiments_tenant_status').on(t.tenantId, t.status)],
);

/**
 * Who changed what and when, append-only. The actor is copied (name, role, team), not referenced,
 * so that an entry still says who it was after the agent or token is gone.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: tenantRef(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorName: text('actor_name').notNull(),
    actorRole: text('actor_role', { enum: ['agent', 'lead', 'admin'] }).notNull(),
    actorTeam: text('actor_team'),
    action: text('action').notNull(),
    subject: text('subject').notNull(),
    /** Per changed field: `{ before, after }` (before is null on create). */
    changes: jsonb('changes').notNull(),
  },
  (t) => [index('audit_log_tenant_id').on(t.tenantId, t.id), index('audit_log_tenant_subject').on(t.tenantId, t.subject, t.id)],
);

/**
 * A tenant's settings for every agent (redaction, annotation kinds, sampling): below enterprise
 * policy, above each agent's own options. One row per tenant that has any; `settings` is the
 * validated `TenantSettings` contract.
 */
export const tenantSettings = pgTable('tenant_settings', {
  tenantId: tenantRef().primaryKey(),
  settings: jsonb('settings').notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Fine-tuning jobs started with `loopdesk finetune` on the configured OpenAI-compatible API
 * (server/finetune): which dataset went up, as which file, to tune which base model, and how the
 * job stands as last seen by the CLI. One row per provider job id and tenant.
 */
export const finetuneJobs = pgTable(
  'finetune_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    /** `sft` (supervised) or `preferences` (DPO). */
    kind: text('kind').notNull(),
    /** The provider's job id (`ftjob-…`). */
    jobId: text('job_id').notNull(),
    baseModel: text('base_model').notNull(),
    trainingFileId: text('training_file_id').notNull(),
    examples: integer('examples').notNull(),
    suffix: text('suffix'),
    /** The provider's status: validating_files, queued, running, succeeded, failed or cancelled. */
    status: text('status').notNull(),
    fineTunedModel: text('fine_tuned_model'),
    /** The provider's reason when the job failed. */
    error: text('error'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('finetune_jobs_tenant_job').on(t.tenantId, t.jobId), index('finetune_jobs_tenant_created').on(t.tenantId, t.createdAt)],
);
