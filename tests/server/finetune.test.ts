import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { EventBatchResponse, SuggestResponse, type AnnotationEventInput, type FinetuneJob } from '../../lib/contract';
import { withBackend } from '../../server/cli/backend';
import { createExport } from '../../server/exports';
import { listFinetuneJobs, saveFinetuneJob } from '../../server/finetune/jobs';
import { FinetuneError, runFinetune, writeDataset, type FinetuneDeps } from '../../server/finetune/run';
import { findTenant } from '../../server/tenancy';
import { sampleEvent } from '../support/events';
import { OpenAiPreferenceLine, OpenAiSftLine, parseJsonl } from '../support/exports';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';

const KB = [
  {
    id: 'kb-wifi',
    title: 'Connect the thermostat to Wi-Fi',
    body: '## Pairing\nHold the thermostat dial for five seconds until the ring blinks blue, then pick your network in the app.',
  },
  {
    id: 'kb-refund',
    title: 'Refunds and returns for the thermostat',
    body: '## Returns window\nYou can return a thermostat within 30 days of delivery for a full refund.',
  },
  {
    id: 'kb-battery',
    title: 'Replace thermostat valve batteries',
    body: '## Battery type\nThe thermostat valve takes two AA lithium batteries.',
  },
];

const TOPICS = ['wifi pairing', 'refund', 'batteries', 'return window', 'blue ring', 'valve batteries'];
/** Support agents adopt and judge this many suggestions, billing agents BILLING: too few to train on. */
const SUPPORT = 12;
const BILLING = 3;

const run = promisify(execFile);

describe.each(DATABASE_KINDS)('loopdesk finetune on %s', (kind) => {
  let server: TestServer;
  let fake: FakeOpenAI;
  let client: OpenAI;
  let tenantId: string;
  let lead: string;
  let agent: string;
  const progress: string[] = [];

  /** The in-process dependencies the CLI also uses, on the test server's database. */
  const deps = (): FinetuneDeps => ({
    client,
    exportTo: async (request, path) => writeDataset((await createExport(server.database, tenantId, request)).chunks, path),
    save: async (record) => {
      await saveFinetuneJob(server.database, tenantId, record);
    },
    progress: (line) => progress.push(line),
  });

  const uploads = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/files');
  const jobCreations = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/fine_tuning/jobs');
  const jobs = () => listFinetuneJobs(server.database, tenantId);

  /** A suggestion for a ticket, shown, its A candidate sent verbatim and preferred over B. */
  async function adoptAndPrefer(token: string, i: number) {
    const topic = TOPICS[i % TOPICS.length]!;
    const res = await server.call('/v1/suggest', {
      token,
      body: { helpdesk: 'zendesk', ticketId: `t-${i}`, subject: `Thermostat ${topic} (${i})`, messages: [{ author: 'customer', text: `Question ${i} about the thermostat ${topic}?` }], tags: [] },
    });
    expect(res.status).toBe(200);
    const suggestion = SuggestResponse.parse(res.body);
    const a = suggestion.candidates.find((c) => c.arm === 'A')!;
    const b = suggestion.candidates.find((c) => c.arm === 'B')!;
    const at = new Date(Date.UTC(2025, 1, 1, 10, i)).toISOString();
    const base = { ticketId: `t-${i}`, createdAt: at };
    const events: AnnotationEventInput[] = [
      sampleEvent('suggestion.shown', suggestion.suggestionId, {
        ...base,
        candidates: suggestion.candidates.map((c, n) => ({ id: c.id, arm: c.arm, model: c.model, side: n === 0 ? 'left' : 'right' })),
        articles: suggestion.articles.map((x) => ({ articleId: x.articleId, chunkId: x.chunkId, rank: x.rank, score: x.score })),
      }),
      sampleEvent('preference', suggestion.suggestionId, { ...base, candidateA: a.id, candidateB: b.id, choice: 'A_better' }),
      sampleEvent('adoption', suggestion.suggestionId, { ...base, candidateId: a.id, outcome: 'verbatim', similarity: 1, editDistance: 0, finalText: a.text }),
    ];
    const sent = await server.call('/v1/events', { token, body: { events } });
    expect(EventBatchResponse.parse(sent.body).results.every((r) => r.status === 'accepted')).toBe(true);
  }

  beforeAll(async () => {
    server = await startTestServer(kind);
    fake = await startFakeOpenAI({ apiKey: 'sk-ft' });
    client = new OpenAI({ baseURL: fake.url, apiKey: 'sk-ft', maxRetries: 0 });
    const admin = await server.token('admin');
    lead = await server.token('lead');
    agent = await server.token('agent');
    const billingAgent = await server.token('agent', { team: 'billing' });
    for (const article of KB) expect((await server.call('/v1/kb/articles', { token: admin, body: article })).status).toBe(201);
    for (let i = 0; i < SUPPORT; i++) await adoptAndPrefer(agent, i);
    for (let i = SUPPORT; i < SUPPORT + BILLING; i++) await adoptAndPrefer(billingAgent, i);
    tenantId = (await findTenant(server.database.db, 'acme'))!;
  });
  afterAll(async () => {
    await fake?.close();
    await server?.close();
  });

  it('uploads the sft dataset as OpenAI chat JSONL and starts a supervised job, recorded for leads', async () => {
    const result = await runFinetune({ kind: 'sft', model: 'gpt-base', suffix: 'acme-sft' }, deps());
    expect(result).toMatchObject({ kind: 'sft', method: 'supervised', examples: SUPPORT + BILLING });

    const upload = uploads().at(-1)!;
    expect(upload.body).toMatchObject({ purpose: 'fine-tune', file: { filename: 'loopdesk-sft.jsonl' } });
    const content = fake.fileContent(result.job!.trainingFileId)!.toString('utf8');
    expect(content.endsWith('\n')).toBe(true);
    const lines = parseJsonl(content, OpenAiSftLine);
    expect(lines).toHaveLength(SUPPORT + BILLING);
    expect(lines[0]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);

    expect(jobCreations().at(-1)!.body).toEqual({ training_file: result.job!.trainingFileId, model: 'gpt-base', method: { type: 'supervised' }, suffix: 'acme-sft' });
    expect(result.job).toMatchObject({ status: 'validating_files', baseModel: 'gpt-base', examples: SUPPORT + BILLING, fineTunedModel: null });

    const [row] = await jobs();
    expect(row).toMatchObject({ kind: 'sft', jobId: result.job!.jobId, baseModel: 'gpt-base', trainingFileId: result.job!.trainingFileId, examples: 15, suffix: 'acme-sft', status: 'validating_files', fineTunedModel: null, error: null });

    const listed = await server.call('/v1/admin/finetune/jobs', { token: lead });
    expect(listed.status).toBe(200);
    expect((listed.body.jobs as FinetuneJob[]).map((j) => j.jobId)).toContain(result.job!.jobId);
    expect((await server.call('/v1/admin/finetune/jobs', { token: agent })).status).toBe(403);
    // Only the CLI's own credential records jobs.
    const forged = await server.call('/v1/admin/finetune/jobs', { token: await server.token('admin'), body: { ...row, id: undefined } });
    expect(forged.status).toBe(403);
  });

  it('with --wait, follows a DPO job on the preferences dataset to its fine-tuned model and records it', async () => {
    progress.length = 0;
    const result = await runFinetune({ kind: 'preferences', model: 'gpt-base', wait: true, pollMs: 0 }, deps());
    expect(result.method).toBe('dpo');
    const lines = parseJsonl(fake.fileContent(result.job!.trainingFileId)!.toString('utf8'), OpenAiPreferenceLine);
    expect(lines).toHaveLength(SUPPORT + BILLING);
    expect(jobCreations().at(-1)!.body).toEqual({ training_file: result.job!.trainingFileId, model: 'gpt-base', method: { type: 'dpo' } });

    expect(result.job!.status).toBe('succeeded');
    expect(result.job!.fineTunedModel).toMatch(/^ft:gpt-base:org-fake:/);
    const row = (await jobs()).find((j) => j.jobId === result.job!.jobId)!;
    expect(row).toMatchObject({ kind: 'preferences', status: 'succeeded', fineTunedModel: result.job!.fineTunedModel, examples: SUPPORT + BILLING });
    expect(Date.parse(row.updatedAt)).toBeGreaterThanOrEqual(Date.parse(row.createdAt));
    // The job's events, each once and oldest first, and a progress line per poll.
    const events = progress.filter((l) => l.startsWith('  '));
    expect(events.map((l) => l.replace(/^ {2}\S+ /, ''))).toEqual([
      `Created fine-tuning job: ${result.job!.jobId}`,
      `Validating training file: ${result.job!.trainingFileId}`,
      'Files validated, moving job to queued state',
      'Fine-tuning job started',
      'The job has successfully completed',
    ]);
    expect(progress.filter((l) => l.startsWith(`job ${result.job!.jobId} `)).map((l) => l.split(' ')[2])).toEqual([
      'validating_files',
      'validating_files',
      'queued',
      'running',
      'succeeded',
    ]);
  });

  it('refuses a dataset with fewer than 10 examples before uploading anything', async () => {
    const before = { uploads: uploads().length, jobs: (await jobs()).length };
    const attempt = runFinetune({ kind: 'sft', model: 'gpt-base', filters: { team: 'billing' } }, deps());
    await expect(attempt).rejects.toThrow(FinetuneError);
    await expect(attempt).rejects.toThrow(/the sft dataset has 3 examples with these filters; fine-tuning needs at least 10\. Nothing was uploaded/);
    await expect(runFinetune({ kind: 'preferences', model: 'gpt-base', filters: { from: '2030-01-01' } }, deps())).rejects.toThrow(/has 0 examples/);
    await expect(runFinetune({ kind: 'sft', model: 'gpt-base', filters: { team: 'nobody' } }, deps())).rejects.toThrow(/team/);
    // No API configured: said before anything is exported; a dry run needs none.
    await expect(runFinetune({ kind: 'sft', model: 'gpt-base' }, { ...deps(), client: null })).rejects.toThrow(/no fine-tuning API: set LOOPDESK_LLM_BASE_URL/);
    expect(await runFinetune({ kind: 'sft', model: 'gpt-base', dryRun: true }, { ...deps(), client: null })).toMatchObject({ examples: SUPPORT + BILLING });
    expect(uploads().length).toBe(before.uploads);
    expect((await jobs()).length).toBe(before.jobs);
  });

  it('a dry run exports and counts only', async () => {
    const before = fake.requests.length;
    const result = await runFinetune({ kind: 'preferences', model: 'gpt-base', dryRun: true, filters: { team: 'support' } }, deps());
    expect(result).toEqual({ kind: 'preferences', method: 'dpo', examples: SUPPORT, bytes: expect.any(Number) });
    expect(fake.requests.length).toBe(before);
  });

  it('endpoint failures: a failed upload or a refused job records nothing, a job that fails is recorded failed', async () => {
    const before = (await jobs()).length;
    fake.setFineTuning({ uploadStatus: 500 });
    await expect(runFinetune({ kind: 'sft', model: 'gpt-base' }, deps())).rejects.toThrow(/uploading the dataset to http:\/\/127\.0\.0\.1:\d+\/v1 failed \(500: scripted upload failure 500\); no job was started/);

    fake.setFineTuning({ createStatus: 400 });
    await expect(runFinetune({ kind: 'sft', model: 'gpt-base' }, deps())).rejects.toThrow(/refused the fine-tuning job for gpt-base \(400: scripted job failure 400\); the uploaded file was deleted/);
    const orphan = uploads().at(-1)!;
    expect(orphan.body.file.filename).toBe('loopdesk-sft.jsonl');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', path: expect.stringMatching(/^\/v1\/files\/file-/) });
    expect(fake.fileContent(fake.requests.at(-1)!.path.split('/').at(-1)!)).toBeUndefined();
    expect((await jobs()).length).toBe(before);

    fake.setFineTuning({ failWith: 'training file has too few tokens' });
    const failing = runFinetune({ kind: 'sft', model: 'gpt-base', wait: true, pollMs: 0 }, deps());
    await expect(failing).rejects.toThrow(/job ftjob-\S+ failed: invalid_training_file: training file has too few tokens/);
    const [failed] = await jobs();
    expect(failed).toMatchObject({ status: 'failed', fineTunedModel: null, error: 'invalid_training_file: training file has too few tokens' });
    expect((await jobs()).length).toBe(before + 1);

    // Polls that fail are retried; after five in a row the wait gives up, the job as last seen.
    fake.setFineTuning({});
    const started = await runFinetune({ kind: 'sft', model: 'gpt-base' }, deps());
    fake.setFineTuning({ retrieveStatus: 503 });
    await expect(runFinetune({ kind: 'sft', model: 'gpt-base', wait: true, pollMs: 0 }, deps())).rejects.toThrow(/5 polls in a row failed \(503: .*\); the job goes on at the provider, last seen validating_files/);
    fake.setFineTuning({});
    expect((await jobs()).find((j) => j.jobId === started.job!.jobId)!.status).toBe('validating_files');
  });

  // Only a PGlite server holds a data directory the CLI can find it by; on PostgreSQL the CLI opens the database itself (below).
  if (kind === 'pglite') it('the CLI does it through the running server: finetune --wait, then finetune list', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOOPDESK_DATA_DIR: server.dataDir,
      LOOPDESK_LLM_BASE_URL: fake.url,
      LOOPDESK_LLM_API_KEY: 'sk-ft',
      LOOPDESK_LLM_MODEL: 'gpt-default',
    };
    delete env.DATABASE_URL;
    const loopdesk = (args: string[]) => run(process.execPath, ['bin/loopdesk.mjs', ...args], { env });

    const { stdout, stderr } = await loopdesk(['finetune', '--kind', 'sft', '--tenant', 'acme', '--team', 'support', '--suffix', 'cli', '--wait', '--poll-seconds', '0']);
    expect(stderr).toMatch(/dataset sft \(openai\): 12 examples, \d+ bytes/);
    expect(stderr).toMatch(/Fine-tuning job started/);
    const [jobId, status, model = ''] = stdout.trim().split(' ');
    expect(status).toBe('succeeded');
    expect(model).toMatch(/^ft:gpt-default:org-fake:cli:/);
    expect(jobCreations().at(-1)!.body).toMatchObject({ model: 'gpt-default', method: { type: 'supervised' }, suffix: 'cli' });
    expect((await jobs()).find((j) => j.jobId === jobId)).toMatchObject({ status: 'succeeded', fineTunedModel: model, examples: SUPPORT });

    const listed = await loopdesk(['finetune', 'list', '--tenant', 'acme']);
    expect(listed.stdout.split('\n')[0]).toMatch(new RegExp(`^${jobId}  sft +succeeded +gpt-default  12 examples  ${model.replaceAll('.', '\\.')}`));

    const dry = await loopdesk(['finetune', '--kind', 'preferences', '--tenant', 'acme', '--model', 'other', '--dry-run']);
    expect(dry.stdout).toMatch(/^dry run: 15 preferences examples \(\d+ bytes\) would be uploaded to tune other \(dpo\); nothing was uploaded/);

    const tooFew = loopdesk(['finetune', '--kind', 'sft', '--tenant', 'acme', '--team', 'billing']);
    await expect(tooFew).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^loopdesk: the sft dataset has 3 examples with these filters; fine-tuning needs at least 10/) });
  });
});

describe('fine-tuning jobs recorded by a CLI that opens the database itself', () => {
  it('saves, updates and lists a job when no server holds the data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'loopdesk-finetune-'));
    try {
      const config = { host: '127.0.0.1', port: 0, databaseUrl: undefined, dataDir };
      const record = {
        kind: 'sft' as const,
        jobId: 'ftjob-direct',
        baseModel: 'gpt-base',
        trainingFileId: 'file-direct',
        examples: 11,
        suffix: null,
        status: 'running',
        fineTunedModel: null,
        error: null,
      };
      const listed = await withBackend(config, async (backend) => {
        await backend.createToken({ tenant: 'acme', team: 'support', role: 'admin', name: 'ann' });
        await backend.saveFinetuneJob('acme', record);
        await backend.saveFinetuneJob('acme', { ...record, status: 'succeeded', fineTunedModel: 'ft:gpt-base:acme' });
        await expect(backend.saveFinetuneJob('nobody', record)).rejects.toThrow(/tenant: no tenant "nobody"/);
        return backend.listFinetuneJobs('acme');
      });
      expect(listed).toEqual([{ ...record, id: expect.any(String), status: 'succeeded', fineTunedModel: 'ft:gpt-base:acme', createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
