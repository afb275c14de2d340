import { z } from 'zod';
import { Role, Slug } from './common';

/**
 * Experiments: what team leads switch on and off. An experiment's arms are recipes for a reply
 * (generation profile, reranker version, retrieval options). In `pairwise` mode an agent sees two
 * arms side by side and may say which is better; in `single` mode each agent is assigned one arm,
 * sticky, and sees one candidate. Agents outside an experiment's traffic share, or in no team it
 * targets, see the built-in baseline (the two default profiles side by side).
 */
export const ExperimentMode = z.enum(['pairwise', 'single']);
export type ExperimentMode = z.infer<typeof ExperimentMode>;

/** `draft` → `running` ⇄ `paused` → `stopped`; a stopped experiment is kept for its metrics. */
export const ExperimentStatus = z.enum(['draft', 'running', 'paused', 'stopped']);
export type ExperimentStatus = z.infer<typeof ExperimentStatus>;

/** One arm's generation recipe; the server checks `promptVersion` against the prompts it has. */
export const ArmGeneration = z.strictObject({
  model: z.string().trim().min(1).max(128),
  promptVersion: z.string().trim().min(1).max(64),
  temperature: z.number().min(0).max(2),
  maxTokens: z.int().min(16).max(8_192).default(500),
});

export const ArmRetrieval = z.strictObject({
  /** Articles shown with the candidates. */
  k: z.int().min(1).max(20).default(8),
});

export const ExperimentArm = z.strictObject({
  name: Slug,
  generation: ArmGeneration,
  /**
   * A flywheel model id (`GET /v1/admin/flywheel/models`) to rerank with, `promoted` for the
   * tenant's promoted model whatever it is, or `none` for retrieval without a learned model.
   */
  reranker: z.string().trim().min(1).max(128).default('promoted'),
  retrieval: ArmRetrieval.default({ k: 8 }),
});
export type ExperimentArm = z.infer<typeof ExperimentArm>;
export type ExperimentArmInput = z.input<typeof ExperimentArm>;

const Share = z.number().min(0).max(1);

const experimentFields = {
  description: z.string().trim().max(2_000),
  mode: ExperimentMode,
  /** Share of the targeted agents in the experiment (by a sticky hash of agent and key). */
  trafficShare: Share,
  /** How often an agent in the experiment is asked for preference and relevance labels. */
  annotationSampling: Share,
  /** Team slugs the experiment reaches; empty means every team of the tenant. */
  teams: z.array(Slug).max(200),
  arms: z.array(ExperimentArm).min(1).max(8),
  /** The arm others are compared with (adoption lift); the first arm when absent. */
  controlArm: Slug.optional(),
};

/** Arm names are unique, pairwise needs two arms, and the control arm must be one of them. */
function checkArms(
  value: { mode?: ExperimentMode; arms?: { name: string }[]; controlArm?: string },
  ctx: z.core.$RefinementCtx,
): void {
  const names = new Set<string>();
  value.arms?.forEach((arm, i) => {
    if (names.has(arm.name)) ctx.addIssue({ code: 'custom', path: ['arms', i, 'name'], message: `arm "${arm.name}" is named twice` });
    names.add(arm.name);
  });
  if (value.mode === 'pairwise' && value.arms && value.arms.length < 2) {
    ctx.addIssue({ code: 'custom', path: ['arms'], message: 'a pairwise experiment needs at least two arms' });
  }
  if (value.controlArm && value.arms && !names.has(value.controlArm)) {
    ctx.addIssue({ code: 'custom', path: ['controlArm'], message: `no arm is named "${value.controlArm}"` });
  }
}

/** `POST /v1/admin/experiments`. New experiments start as drafts unless `status` says otherwise. */
export const ExperimentInput = z
  .strictObject({
    key: Slug,
    ...experimentFields,
    description: experimentFields.description.default(''),
    trafficShare: Share.default(1),
    annotationSampling: Share.default(1),
    teams: experimentFields.teams.default([]),
    status: ExperimentStatus.default('draft'),
  })
  .superRefine(checkArms);
export type ExperimentInput = z.input<typeof ExperimentInput>;

/** `PATCH /v1/admin/experiments/:key`: any subset of the fields; the key never changes. */
export const ExperimentPatch = z
  .strictObject({ ...experimentFields, status: ExperimentStatus })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'nothing to change' })
  .superRefine(checkArms);
export type ExperimentPatch = z.infer<typeof ExperimentPatch>;

export const Experiment = z.object({
  key: Slug,
  description: z.string(),
  mode: ExperimentMode,
  status: ExperimentStatus,
  trafficShare: Share,
  annotationSampling: Share,
  teams: z.array(Slug),
  arms: z.array(ExperimentArm),
  controlArm: Slug,
  /** Bumped on every change; what agents' assignments are versioned by. */
  revision: z.int().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Experiment = z.infer<typeof Experiment>;

export const ExperimentList = z.object({ experiments: z.array(Experiment) });
export type ExperimentList = z.infer<typeof ExperimentList>;

/** Who changed what and when; every create and change of an experiment writes one. */
export const AuditEntry = z.object({
  id: z.string(),
  at: z.iso.datetime({ offset: true }),
  actor: z.object({ name: z.string(), role: Role, team: z.string().nullable() }),
  action: z.enum(['experiment.created', 'experiment.updated', 'tenant.settings.updated']),
  subject: z.string(),
  /** The fields changed, each with its value before (null on create) and after. */
  changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditLog = z.object({ entries: z.array(AuditEntry) });
export type AuditLog = z.infer<typeof AuditLog>;

/**
 * `GET /v1/experiments/assignment` for the calling agent, with an ETag: the extension polls it
 * with `If-None-Match` (a 304 costs nothing) and applies a change without a reload.
 */
export const AgentAssignment = z.object({
  /** Null: the agent sees the baseline. */
  experiment: z
    .object({
      key: Slug,
      mode: ExperimentMode,
      /** Single mode: the agent's one arm. Pairwise: the arms pairs are drawn from. */
      arms: z.array(Slug).min(1),
      revision: z.int().min(1),
    })
    .nullable(),
  /** Probability that a suggestion asks for preference and relevance labels (1 for the baseline). */
  annotationSampling: Share,
  /** How often the extension should ask again, in seconds. */
  pollSeconds: z.int().min(1).max(3_600),
});
export type AgentAssignment = z.infer<typeof AgentAssignment>;

/**
 * A proportion with its 95% interval. `n` is the denominator; the interval is null when n = 0.
 * `count` may be fractional: a tied comparison is half a win, a `partly` relevance label half a hit.
 */
export const Proportion = z.object({
  count: z.number().min(0),
  n: z.int().min(0),
  rate: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
});
export type Proportion = z.infer<typeof Proportion>;

export const ArmMetrics = z.object({
  arm: Slug,
  /** Suggestions in which this arm's candidate was shown (`suggestion.shown`). */
  exposures: z.int().min(0),
  adoption: z.object({
    /** Adoption events attributed to this arm, by outcome. */
    outcomes: z.record(z.string(), z.int().min(0)),
    /** Adopted (verbatim, edited or partial) over adoption events for this arm's suggestions. */
    adopted: Proportion,
    /** Difference in adopted rate against the control arm, with its 95% interval; null for the control. */
    liftOverControl: z.object({ difference: z.number(), low: z.number(), high: z.number() }).nullable(),
  }),
  /** Pairwise comparisons this arm won (ties count half), Wilson 95% interval. */
  preferenceWins: Proportion,
  /** Bradley–Terry strength, normalized to sum to 1 over the arms; null when there were no comparisons. */
  bradleyTerry: z.number().nullable(),
  /** Relevant (partly = half) over labels given for articles at ranks 1–8. */
  precisionAt8: Proportion,
  /** Missing-knowledge reports per exposure. */
  missingKnowledge: Proportion,
  /** Median and 90th percentile of time to send, ms; null without adoption events. */
  timeToSend: z.object({ p50: z.number().nullable(), p90: z.number().nullable() }),
});
export type ArmMetrics = z.infer<typeof ArmMetrics>;

/** One time bucket of one arm, for the charts. */
export const ArmSeriesPoint = z.object({
  bucket: z.iso.datetime({ offset: true }),
  arm: Slug,
  exposures: z.int().min(0),
  adopted: Proportion,
  preferenceWins: Proportion,
});
export type ArmSeriesPoint = z.infer<typeof ArmSeriesPoint>;

export const MetricsBucket = z.enum(['hour', 'day', 'week']);
export type MetricsBucket = z.infer<typeof MetricsBucket>;

/** `GET /v1/admin/experiments/:key/metrics?from=&to=&bucket=`. */
export const MetricsQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  bucket: MetricsBucket.default('day'),
});
export type MetricsQuery = z.infer<typeof MetricsQuery>;

export const ExperimentMetrics = z.object({
  key: Slug,
  controlArm: Slug,
  from: z.iso.datetime({ offset: true }).nullable(),
  to: z.iso.datetime({ offset: true }).nullable(),
  bucket: MetricsBucket,
  arms: z.array(ArmMetrics),
  series: z.array(ArmSeriesPoint),
  /** Server time spent computing, for the dashboard's footer and the bench. */
  computedMs: z.number(),
});
export type ExperimentMetrics = z.infer<typeof ExperimentMetrics>;
