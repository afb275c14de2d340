import { z } from 'zod';

/** What `loopdesk finetune` can train on: the sft export (supervised) or the preferences export (DPO). */
export const FINETUNE_KINDS = ['sft', 'preferences'] as const;
export const FinetuneKind = z.enum(FINETUNE_KINDS);
export type FinetuneKind = z.infer<typeof FinetuneKind>;

/** The OpenAI fine-tuning method each dataset is for. */
export const FINETUNE_METHODS = { sft: 'supervised', preferences: 'dpo' } as const satisfies Record<FinetuneKind, string>;

/** A fine-tuning job's status as the OpenAI API reports it. */
export const FinetuneStatus = z.enum(['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type FinetuneStatus = z.infer<typeof FinetuneStatus>;

/** Statuses after which a job never changes again. */
export const FINETUNE_FINAL_STATUSES: readonly FinetuneStatus[] = ['succeeded', 'failed', 'cancelled'];

/** OpenAI refuses a training file with fewer examples than this. */
export const FINETUNE_MIN_EXAMPLES = 10;

/**
 * A job as recorded (`POST /v1/admin/finetune/jobs`, which only the local CLI's credential may call:
 * the CLI starts the job and records what it saw). Saving the same `jobId` again updates the row.
 */
export const FinetuneJobRecord = z.strictObject({
  kind: FinetuneKind,
  jobId: z.string().min(1).max(256),
  baseModel: z.string().min(1).max(256),
  trainingFileId: z.string().min(1).max(256),
  examples: z.int().min(0),
  suffix: z.string().max(64).nullable(),
  /** Statuses a provider adds later are kept as they come. */
  status: z.string().min(1).max(64),
  fineTunedModel: z.string().max(256).nullable(),
  error: z.string().max(2000).nullable(),
});
export type FinetuneJobRecord = z.infer<typeof FinetuneJobRecord>;

/** A recorded job as `GET /v1/admin/finetune/jobs` and `loopdesk finetune list` show it. */
export interface FinetuneJob extends FinetuneJobRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
}
