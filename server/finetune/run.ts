import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import OpenAI, { APIError, toStreamingFile } from 'openai';
import type { FineTuningJob } from 'openai/resources/fine-tuning/jobs/jobs';
import {
  describeIssues,
  ExportRequest,
  FINETUNE_FINAL_STATUSES,
  FINETUNE_METHODS,
  FINETUNE_MIN_EXAMPLES,
  type ExportRequestInput,
  type FinetuneJobRecord,
  type FinetuneKind,
  type FinetuneStatus,
} from '../../lib/contract';

/** A fine-tuning run that cannot go on, with a message that says what to do; the CLI prints it as is. */
export class FinetuneError extends Error {}

/** The export filters a fine-tuning dataset can be narrowed by (the format is always OpenAI's). */
export type FinetuneFilters = Omit<ExportRequestInput, 'kind' | 'format' | 'tenant'>;

export interface FinetuneOptions {
  kind: FinetuneKind;
  /** The base model to tune. */
  model: string;
  filters?: FinetuneFilters;
  /** Up to 64 characters OpenAI puts into the fine-tuned model's name. */
  suffix?: string;
  /** Poll the job until it ends, recording each new status. */
  wait?: boolean;
  /** Export and count only: nothing is uploaded, no job is started or recorded. */
  dryRun?: boolean;
  /** Between two polls with `wait`; 10 s by default. */
  pollMs?: number;
  /** The fewest examples sent; OpenAI's own minimum by default. */
  minExamples?: number;
}

export interface FinetuneDeps {
  /** The OpenAI-compatible API; null when none is configured (a dry run needs none). */
  client: OpenAI | null;
  /** Writes the export to `path`, streamed, and says how many lines and bytes it wrote. */
  exportTo(request: ExportRequest, path: string): Promise<DatasetFile>;
  /** Records the job, or updates its row. */
  save(record: FinetuneJobRecord): Promise<void>;
  /** One line of progress for the user (stderr in the CLI). */
  progress(line: string): void;
  sleep?: (ms: number) => Promise<void>;
}

export interface DatasetFile {
  examples: number;
  bytes: number;
}

export interface FinetuneResult extends DatasetFile {
  kind: FinetuneKind;
  method: (typeof FINETUNE_METHODS)[FinetuneKind];
  /** Absent on a dry run. */
  job?: FinetuneJobRecord;
}

/**
 * Writes an export's chunks to a file as they come (never the whole dataset in memory) and counts
 * its lines: every OpenAI-format line is one training example.
 */
export async function writeDataset(chunks: AsyncIterable<string | Uint8Array>, path: string): Promise<DatasetFile> {
  const out = createWriteStream(path);
  let bytes = 0;
  let examples = 0;
  try {
    for await (const chunk of chunks) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      bytes += buffer.length;
      for (const byte of buffer) if (byte === 10) examples++;
      if (!out.write(buffer)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy();
    throw err;
  }
  return { examples, bytes };
}

/** The export request a fine-tuning kind uploads; bad filters throw a FinetuneError naming the option. */
export function datasetRequest(kind: FinetuneKind, filters: FinetuneFilters = {}): ExportRequest {
  const parsed = ExportRequest.safeParse({ ...filters, kind, format: 'openai' });
  if (!parsed.success) throw new FinetuneError(describeIssues(parsed.error));
  return parsed.data;
}

/** What an API failure says, for a message the user can act on. */
function describeApiError(err: unknown): string {
  if (err instanceof APIError) return `${err.status ?? 'no answer'}${err.message ? `: ${err.message.replace(/^\d+\s*/, '')}` : ''}`;
  return (err as Error).message;
}

function recordOf(job: FineTuningJob, kind: FinetuneKind, examples: number, suffix: string | undefined): FinetuneJobRecord {
  return {
    kind,
    jobId: job.id,
    baseModel: job.model,
    trainingFileId: job.training_file,
    examples,
    suffix: suffix ?? null,
    status: job.status,
    fineTunedModel: job.fine_tuned_model ?? null,
    error: job.error?.message ? `${job.error.code ? `${job.error.code}: ` : ''}${job.error.message}` : null,
  };
}

/**
 * Exports the dataset to a temporary JSONL file, refuses one too small to train on, uploads it
 * (`purpose: fine-tune`), starts the job (method `supervised` for sft, `dpo` for preferences) and
 * records it. With `wait`, polls the job, printing its new events and a progress line, and records
 * every status change until it succeeds, fails or is cancelled.
 *
 * Nothing is recorded unless the provider created a job: a failed upload or a refused job leaves no
 * row (the uploaded file is deleted again). A job that fails later is recorded as `failed` with the
 * provider's reason, and the run throws a FinetuneError.
 */
export async function runFinetune(options: FinetuneOptions, deps: FinetuneDeps): Promise<FinetuneResult> {
  const { kind, model, suffix } = options;
  const method = FINETUNE_METHODS[kind];
  const request = datasetRequest(kind, options.filters);
  const minExamples = options.minExamples ?? FINETUNE_MIN_EXAMPLES;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const client = deps.client;
  if (!client && !options.dryRun) {
    throw new FinetuneError('no fine-tuning API: set LOOPDESK_LLM_BASE_URL (and LOOPDESK_LLM_API_KEY) to an OpenAI-compatible API, or use --dry-run');
  }
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-finetune-'));
  const path = join(dir, `loopdesk-${kind}.jsonl`);
  try {
    const dataset = await deps.exportTo(request, path);
    if (dataset.examples < minExamples) {
      throw new FinetuneError(
        `the ${kind} dataset has ${dataset.examples} example${dataset.examples === 1 ? '' : 's'} with these filters; ` +
          `fine-tuning needs at least ${minExamples}. Nothing was uploaded (see \`loopdesk export ${kind}\` for what the data gives).`,
      );
    }
    deps.progress(`dataset ${kind} (openai): ${dataset.examples} examples, ${dataset.bytes} bytes`);
    if (options.dryRun || !client) return { kind, method, ...dataset };

    let file;
    try {
      file = await client.files.create({ purpose: 'fine-tune', file: toStreamingFile(createReadStream(path), `loopdesk-${kind}.jsonl`, { type: 'application/jsonl' }) });
    } catch (err) {
      throw new FinetuneError(`uploading the dataset to ${client.baseURL} failed (${describeApiError(err)}); no job was started`);
    }
    deps.progress(`uploaded ${file.id} (${file.bytes ?? dataset.bytes} bytes)`);

    let job: FineTuningJob;
    try {
      job = await client.fineTuning.jobs.create({ training_file: file.id, model, method: { type: method }, ...(suffix ? { suffix } : {}) });
    } catch (err) {
      // The file is of no use without its job; the provider would keep it (and bill its storage).
      await client.files.delete(file.id).catch(() => undefined);
      throw new FinetuneError(`${client.baseURL} refused the fine-tuning job for ${model} (${describeApiError(err)}); the uploaded file was deleted, nothing was recorded`);
    }
    let record = recordOf(job, kind, dataset.examples, suffix);
    await deps.save(record);
    deps.progress(`job ${job.id} ${job.status} (${method}, base model ${job.model})`);
    if (!options.wait) return { kind, method, ...dataset, job: record };

    record = await waitForJob(client, record, { pollMs: options.pollMs ?? 10_000, sleep, save: deps.save, progress: deps.progress });
    if (record.status !== 'succeeded') {
      throw new FinetuneError(`job ${record.jobId} ${record.status}${record.error ? `: ${record.error}` : ''}`);
    }
    return { kind, method, ...dataset, job: record };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Consecutive failed polls after which waiting gives up (the job itself goes on at the provider). */
const MAX_POLL_FAILURES = 5;

/**
 * Polls a job until its status is final. New events are printed oldest first; each status change is
 * recorded. A poll that fails is retried on the next tick, up to MAX_POLL_FAILURES in a row.
 */
export async function waitForJob(
  client: OpenAI,
  start: FinetuneJobRecord,
  options: { pollMs: number; sleep: (ms: number) => Promise<void>; save(record: FinetuneJobRecord): Promise<void>; progress(line: string): void },
): Promise<FinetuneJobRecord> {
  let record = start;
  const seen = new Set<string>();
  const started = Date.now();
  let failures = 0;
  while (!FINETUNE_FINAL_STATUSES.includes(record.status as FinetuneStatus)) {
    await options.sleep(options.pollMs);
    let job: FineTuningJob;
    let events: { id: string; message: string; created_at: number }[] = [];
    try {
      job = await client.fineTuning.jobs.retrieve(record.jobId);
      const page = await client.fineTuning.jobs.listEvents(record.jobId, { limit: 50 });
      events = page.data;
      failures = 0;
    } catch (err) {
      if (++failures >= MAX_POLL_FAILURES) {
        throw new FinetuneError(
          `job ${record.jobId}: ${failures} polls in a row failed (${describeApiError(err)}); the job goes on at the provider, last seen ${record.status}`,
        );
      }
      options.progress(`job ${record.jobId}: poll failed (${describeApiError(err)}), retrying`);
      continue;
    }
    for (const event of [...events].reverse()) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      options.progress(`  ${new Date(event.created_at * 1000).toISOString()} ${event.message}`);
    }
    const next = recordOf(job, record.kind, record.examples, record.suffix ?? undefined);
    const elapsed = Math.round((Date.now() - started) / 1000);
    options.progress(`job ${next.jobId} ${next.status} (${elapsed} s)${job.trained_tokens ? `, ${job.trained_tokens} tokens trained` : ''}`);
    if (next.status !== record.status || next.fineTunedModel !== record.fineTunedModel || next.error !== record.error) await options.save(next);
    record = next;
  }
  return record;
}
