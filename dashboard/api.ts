/**
 * The dashboard's calls to the Loopdesk API (same origin, bearer token). Every JSON answer is parsed
 * with its zod schema from lib/contract, so a server that drifts from the contract shows up as an
 * error on the page rather than as wrong numbers.
 */
import { z } from 'zod';
import { ApiError as ApiErrorBody, WhoAmI } from '../lib/contract/api';
import {
  AuditLog,
  Experiment,
  ExperimentList,
  ExperimentMetrics,
  type ExperimentInput,
  type ExperimentPatch,
  type MetricsBucket,
} from '../lib/contract/experiments';
import type { AgentAnnotationQuality as AgentAnnotationQualityContract, AnnotationQualityResponse } from '../lib/contract/flywheel';
import { useDashboard } from './store';

/** A failed call: the server's `{error}` text (`mode: a pairwise experiment needs …`) and status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function request(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> {
  const token = init.token ?? useDashboard.getState().token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch {
    throw new ApiError('the server did not answer; is it running?', 0);
  }
  if (response.ok) return response;
  const text = await response.text();
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const parsed = ApiErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) message = parsed.data.error;
  } catch {
    // not JSON: keep the status line
  }
  // A token revoked or expired mid-session: back to the sign-in form, saying why. The sign-in
  // itself passes its token explicitly and reports the 401 there.
  if (response.status === 401 && !init.token) useDashboard.getState().signOut(`Signed out: ${message}`);
  throw new ApiError(message, response.status);
}

async function json<S extends z.ZodType>(schema: S, path: string, init?: Parameters<typeof request>[1]): Promise<z.infer<S>> {
  const response = await request(path, init);
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(`unexpected answer from ${path}: ${issue?.path.join('.') || 'body'}: ${issue?.message}`, response.status);
  }
  return parsed.data;
}

const experimentPath = (key: string) => `/v1/admin/experiments/${encodeURIComponent(key)}`;

/**
 * One model version as `GET /v1/admin/flywheel/models` lists it (server/flywheel/models.ts). The
 * evaluation numbers are the flywheel's own record (server/flywheel/run.ts) and are read leniently:
 * a version stored by an older flywheel still lists, with blanks.
 */
const HeldOut = z.object({
  queries: z.number(),
  'recall@75': z.number(),
  'precision@8': z.number(),
  'MRR@8': z.number(),
  'nDCG@8': z.number(),
});
export type HeldOut = z.infer<typeof HeldOut>;
export const ModelEvaluation = z.object({
  heldOut: z.object({ candidate: HeldOut, current: HeldOut.extend({ version: z.number().nullable() }) }),
  gate: z.enum(['passed', 'failed']),
});
export type ModelEvaluation = z.infer<typeof ModelEvaluation>;
export const ModelSummary = z.object({
  id: z.string(),
  kind: z.string(),
  version: z.number(),
  status: z.string(),
  metrics: z.unknown(),
  trainedOn: z.unknown(),
  createdAt: z.string(),
  promotedAt: z.string().nullable(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

/** The model kinds of the flywheel (server/flywheel/models.ts MODEL_KINDS). */
export type ModelKind = 'retrieval' | 'reply-memory';

/**
 * A reply-memory version's evaluation (server/flywheel/reply-memory.ts): the held-out adopted
 * replies' mean token F1 of the extractive replies composed with the memory, and how often the
 * memory was used, against the memory promoted then. Read leniently, as retrieval's are.
 */
const ReplyHeldOut = z.object({ replies: z.number(), tokenF1: z.number(), usedMemory: z.number() });
export type ReplyHeldOut = z.infer<typeof ReplyHeldOut>;
export const ReplyMemoryEvaluation = z.object({
  heldOut: z.object({ candidate: ReplyHeldOut, current: ReplyHeldOut.extend({ version: z.number().nullable() }) }),
  gate: z.enum(['passed', 'failed']),
  minOverlap: z.number().optional(),
});
export type ReplyMemoryEvaluation = z.infer<typeof ReplyMemoryEvaluation>;

/** `GET /v1/admin/flywheel/annotators` (lib/contract/flywheel.ts AnnotationQualityResponse). */
const AgentAnnotationQuality = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  labels: z.number(),
  overlapping: z.number(),
  agreementWithOthers: z.number().nullable(),
  adoptionChecks: z.number(),
  agreementWithAdoption: z.number().nullable(),
  accuracy: z.number(),
  weight: z.number(),
}) satisfies z.ZodType<AgentAnnotationQualityContract>;
export const AnnotationQuality = z.object({
  modelVersion: z.number().nullable(),
  estimatedAt: z.string().nullable(),
  teamAccuracy: z.number().nullable(),
  agents: z.array(AgentAnnotationQuality),
}) satisfies z.ZodType<AnnotationQualityResponse>;
export type AnnotationQuality = z.infer<typeof AnnotationQuality>;

export const api = {
  me: (token: string) => json(WhoAmI, '/v1/me', { token }),
  experiments: () => json(ExperimentList, '/v1/admin/experiments'),
  createExperiment: (input: ExperimentInput) => json(Experiment, '/v1/admin/experiments', { method: 'POST', body: input }),
  patchExperiment: (key: string, patch: ExperimentPatch) => json(Experiment, experimentPath(key), { method: 'PATCH', body: patch }),
  audit: (key: string) => json(AuditLog, `${experimentPath(key)}/audit`),
  metrics: (key: string, query: { bucket: MetricsBucket; from?: string; to?: string }) => {
    const params = new URLSearchParams({ bucket: query.bucket });
    if (query.from) params.set('from', query.from);
    if (query.to) params.set('to', query.to);
    return json(ExperimentMetrics, `${experimentPath(key)}/metrics?${params}`);
  },
  models: (kind: ModelKind = 'retrieval') => json(z.array(ModelSummary), `/v1/admin/flywheel/models?kind=${kind}`),
  annotators: () => json(AnnotationQuality, '/v1/admin/flywheel/annotators'),
  /** The KB-gap report as text: `csv` for the table on the page, either format for a download. */
  kbGaps: async (format: 'csv' | 'markdown', range: { from?: string; to?: string } = {}) => {
    const params = new URLSearchParams({ format });
    if (range.from) params.set('from', range.from);
    if (range.to) params.set('to', range.to);
    return (await request(`/v1/admin/exports/kb-gaps?${params}`)).text();
  },
};

/** A caught value as the text to show. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
