import type OpenAI from 'openai';
import { FinetuneKind, type FinetuneJob } from '../../lib/contract';
import { withBackend } from '../cli/backend';
import type { ServerConfig } from '../config';
import { createLlmClient } from '../generation/llm';
import { runFinetune, writeDataset, FinetuneError, type FinetuneFilters } from './run';
import type { ExportFilterOptions } from '../exports/cli-options';

export interface FinetuneCliOptions extends ExportFilterOptions {
  kind?: string;
  tenant: string;
  model?: string;
  suffix?: string;
  wait?: boolean;
  dryRun?: boolean;
  pollSeconds?: string;
}

/** The export filters `loopdesk finetune` passes on, as `loopdesk export` takes them. */
const FILTER_OPTIONS = ['from', 'to', 'time', 'team', 'experiment', 'arm', 'minOutcome', 'minStrength', 'source', 'promptVersion'] as const;

/** Uploads and fine-tuning jobs may take long; the chat timeout is far too short for them. */
const FINETUNE_TIMEOUT_MS = 10 * 60_000;

/** The client for the configured OpenAI-compatible API, or null when none is configured. */
export function finetuneClient(config: ServerConfig): OpenAI | null {
  const llm = config.generation?.llm;
  return llm ? createLlmClient({ ...llm, timeoutMs: Math.max(llm.timeoutMs, FINETUNE_TIMEOUT_MS) }) : null;
}

/**
 * `loopdesk finetune --kind sft|preferences --tenant T`: the database is opened (or the server's API
 * used) only while exporting and recording, never while the job runs, so the server can start and
 * stop meanwhile. Progress goes to stderr; the job id, its status and the fine-tuned model to stdout.
 */
export async function finetuneAction(opts: FinetuneCliOptions, config: ServerConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const kind = FinetuneKind.safeParse(opts.kind);
  if (!kind.success) throw new FinetuneError(`--kind: required, ${FinetuneKind.options.join(' or ')}`);
  const model = opts.model?.trim() || env.LOOPDESK_LLM_MODEL?.trim();
  if (!model) throw new FinetuneError('--model: no base model; pass --model or set LOOPDESK_LLM_MODEL');
  const pollSeconds = opts.pollSeconds === undefined ? 10 : Number(opts.pollSeconds);
  if (!Number.isFinite(pollSeconds) || pollSeconds < 0) throw new FinetuneError('--poll-seconds: a number of seconds');
  if (opts.suffix !== undefined && !/^[\w-]{1,64}$/.test(opts.suffix)) {
    throw new FinetuneError('--suffix: up to 64 letters, digits, "-" and "_"');
  }
  const { tenant, suffix, wait, dryRun } = opts;
  const filters: Record<string, string> = {};
  for (const key of FILTER_OPTIONS) if (opts[key] !== undefined) filters[key] = opts[key];
  const result = await runFinetune(
    { kind: kind.data, model, suffix, wait, dryRun, pollMs: pollSeconds * 1000, filters: filters as FinetuneFilters },
    {
      client: finetuneClient(config),
      exportTo: (request, path) => withBackend(config, (backend) => writeDataset(backend.exportData({ ...request, tenant }), path)),
      save: async (record) => {
        await withBackend(config, (backend) => backend.saveFinetuneJob(tenant, record));
      },
      progress: (line) => console.error(line),
    },
  );
  if (!result.job) {
    console.log(`dry run: ${result.examples} ${kind.data} examples (${result.bytes} bytes) would be uploaded to tune ${model} (${result.method}); nothing was uploaded`);
    return;
  }
  console.log(`${result.job.jobId} ${result.job.status}${result.job.fineTunedModel ? ` ${result.job.fineTunedModel}` : ''}`);
}

export function printFinetuneJobs(jobs: FinetuneJob[]): void {
  if (!jobs.length) {
    console.log('no fine-tuning jobs');
    return;
  }
  for (const j of jobs) {
    console.log(
      [j.jobId, j.kind.padEnd(11), j.status.padEnd(16), j.baseModel, `${j.examples} examples`, j.fineTunedModel ?? '—', j.createdAt, j.error ?? '']
        .join('  ')
        .trimEnd(),
    );
  }
}
