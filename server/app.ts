import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  describeIssues,
  EventBatchRequest,
  ExportRequest,
  FlywheelRunRequest,
  Helpdesk,
  KbArticleInput,
  MAX_BODY_BYTES,
  RetrieveRequest,
  SelectorMissReport,
  SelectorOverridesPut,
  SUGGEST_STREAM_CONTENT_TYPE,
  SuggestRequest,
  TokenCreateRequest,
  type KbArticleUpsertResponse,
  type SuggestStreamEvent,
  type WhoAmI,
} from '../lib/contract';
import { authenticate, requireAgentIdentity, requireRole, tenantOfRequest, type AuthEnv, type Principal } from './auth';
import type { Database } from './db/client';
import { ingestEvents } from './events';
import { DEFAULT_EXPERIMENT_POLL_SECONDS } from './experiments/config';
import { experimentRoutes } from './experiments/routes';
import { getExperiment, RunningExperiments } from './experiments/store';
import { latestAnnotationQuality, listModels, MODEL_KINDS, ModelInputError, promoteModel, rollbackModel, type ModelInvalidator } from './flywheel/models';
import { runFlywheel } from './flywheel/run';
import { ReplyMemoryCache } from './generation/reply-memory';
import { createExport, ExportInputError, type ExportStream } from './exports';
import { finetuneRoutes } from './finetune/routes';
import { mountExperimentMetricsRoutes } from './experiments/metrics-routes';
import { installHttp, metricsHandler, type HttpOptions } from './http';
import { conditionalJson } from './http/etag';
import { TenantSettingsCache, tenantSettingsRoutes } from './tenant-settings';
import { readJson } from './http/json-body';
import { createGenerator } from './generation';
import { OFFLINE_GENERATION, type GenerationConfig } from './generation/profiles';
import { readJsonl } from './kb/formats/jsonl';
import { readRecords } from './kb/formats/records';
import { readZendesk } from './kb/formats/zendesk';
import { importRecords, type KbRecord } from './kb/import';
import { deleteArticle, upsertArticle } from './kb/store';
import { createRetriever, type Retriever } from './retrieval';
import { clearSelectorOverrides, listSelectorMisses, readSelectorOverrides, recordSelectorMiss, writeSelectorOverrides } from './selectors';
import { mountIdentityRoutes } from './identity-routes';
import { suggest, type Caller } from './suggest';
import { createToken, ensureTenant } from './tenancy';

export interface AppOptions {
  database: Database;
  /** Credential of the local CLI (from the data-dir lock file); absent when no CLI may connect. */
  systemToken?: string;
  /** Extra routes mounted before the API (the demo helpdesk). */
  mount?: (app: Hono) => void;
  /** Language model and generation profiles; offline (extractive) when absent. */
  generation?: GenerationConfig;
  /** Retrieval pipeline (dense search and reranker when configured); lexical BM25 when absent. */
  retriever?: Retriever;
  /** Rate limits, CORS origins, /metrics token, access log (server/http); see HttpOptions for defaults. */
  http?: HttpOptions;
  /** How often extensions ask for their experiment assignment (`LOOPDESK_EXPERIMENT_POLL_SECONDS`); 30 s when absent. */
  experimentPollSeconds?: number;
}

type Env = AuthEnv;

/**
 * What an uploaded import body may be: Contract v1 JSONL, one Zendesk export file, or the records
 * the CLI parsed itself (any format, including Markdown folders, which are no single body).
 */
const HTTP_IMPORT_READERS = new Map<string, (input: Readable) => AsyncIterable<KbRecord>>([
  ['jsonl', readJsonl],
  ['zendesk', (input) => readZendesk(input)],
  ['records', readRecords],
]);

/** Largest KB import accepted over HTTP (the CLI streams files of any size when it owns the database). */
const MAX_IMPORT_BYTES = 2 * 1024 * 1024 * 1024;
/** Largest body outside the API (the demo helpdesk's comments). */
const MAX_OTHER_BODY_BYTES = 1024 * 1024;

/** KB imports stream and may be large; every other body is bounded. */
function bodyLimitFor(path: string): number {
  if (path.startsWith('/v1/')) return path.endsWith('/admin/kb/import') ? MAX_IMPORT_BYTES : MAX_BODY_BYTES;
  return MAX_OTHER_BODY_BYTES;
}

/** True when the client asked for Server-Sent Events rather than one JSON answer. */
function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.split(';')[0]!.trim().toLowerCase() === SUGGEST_STREAM_CONTENT_TYPE);
}

function callerOf(principal: Principal): Caller {
  if (principal.kind !== 'token') throw new Error('route needs an agent identity');
  return { tenantId: principal.tenantId, teamId: principal.teamId, teamSlug: principal.teamSlug, agentId: principal.agentId };
}

export function createApp(options: AppOptions): Hono {
  const { database } = options;
  const generator = createGenerator(options.generation ?? OFFLINE_GENERATION);
  const retriever = options.retriever ?? createRetriever(database);
  const runningExperiments = new RunningExperiments(database);
  const tenantSettings = new TenantSettingsCache(database);
  const replyMemories = new ReplyMemoryCache(database);
  /** Promotions and rollbacks of any kind drop the tenant from both caches of promoted models. */
  const modelCaches: ModelInvalidator = {
    invalidate(tenantId) {
      retriever.models?.invalidate(tenantId);
      replyMemories.invalidate(tenantId);
    },
  };
  const app = new Hono();
  const http = installHttp(app, options.http ?? {}, bodyLimitFor);
  /** New and changed chunks get embeddings after the answer, so imports never wait on the embedder. */
  const embedInBackground = (tenantId: string) =>
    void retriever.indexPending(tenantId).catch((err: Error) => {
      http.log({ level: 'error', msg: `embedding new chunks failed: ${err.message}`, tenantId });
    });

  app.onError((err, c) => {
    http.logError(c, err);
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  app.get('/healthz', async (c) => {
    await database.query('select 1');
    return c.json({ ok: true, database: database.kind });
  });

  app.get('/metrics', metricsHandler(http.metrics, options.http?.metricsToken));

  options.mount?.(app);

  const api = new Hono<Env>();
  // Body limits are installed with the app's other middleware (installHttp, bodyLimitFor).
  api.use(authenticate(database.db, options.systemToken));
  api.use(http.rateLimit);

  api.get('/me', requireAgentIdentity(), (c) => {
    const p = c.get('principal');
    if (p.kind !== 'token') throw new Error('unreachable');
    const me: WhoAmI = { tenant: p.tenantSlug, team: p.teamSlug, agent: p.agentName, role: p.role };
    return c.json(me);
  });

  api.post('/events', requireAgentIdentity(), async (c) => {
    // Each event's text is checked on its own (ingestEvents), so that one cannot fail the batch.
    const body = await readJson(c, EventBatchRequest, { checkText: false });
    if (!body.ok) return body.response;
    const results = await ingestEvents(database, callerOf(c.get('principal')), body.data.events);
    http.metrics.countEvents(results);
    return c.json({ results });
  });

  api.post('/retrieve', requireAgentIdentity(), async (c) => {
    const body = await readJson(c, RetrieveRequest);
    if (!body.ok) return body.response;
    const chunks = await retriever.retrieve(callerOf(c.get('principal')).tenantId, body.data.query, body.data.k);
    return c.json({
      results: chunks.map(({ articleId, chunkId, title, score, rank }) => ({ articleId, chunkId, title, score, rank })),
    });
  });

  api.post('/suggest', requireAgentIdentity(), async (c) => {
    const body = await readJson(c, SuggestRequest);
    if (!body.ok) return body.response;
    const caller = callerOf(c.get('principal'));
    if (!wantsEventStream(c.req.header('accept'))) {
      const answer = await suggest(database, caller, body.data, { generator, retriever, experiments: runningExperiments, tenantSettings, replyMemories });
      http.metrics.countSuggestion('json');
      return c.json(answer);
    }
    return streamSSE(c, async (stream) => {
      const gone = new AbortController();
      stream.onAbort(() => gone.abort());
      // Writes are chained so that events keep their order however the two candidates interleave;
      // each is handed to the socket as soon as the previous one is, with no batching.
      let written: Promise<unknown> = Promise.resolve();
      const send = (event: SuggestStreamEvent) => {
        written = written.then(() => stream.writeSSE({ event: event.type, data: JSON.stringify(event) }));
        return written;
      };
      try {
        const result = await suggest(database, caller, body.data, {
          generator,
          retriever,
          experiments: runningExperiments,
          tenantSettings,
          replyMemories,
          signal: gone.signal,
          listener: {
            meta: (meta) => void send(meta),
            delta: (candidateId, text) => void send({ type: 'delta', candidateId, text }),
            candidate: (candidate) => void send({ type: 'candidate', candidate }),
          },
        });
        http.metrics.countSuggestion('stream');
        await send({ type: 'done', latencyMs: result.latencyMs });
      } catch (err) {
        http.logError(c, err);
        await send({ type: 'error', error: 'internal error' });
      }
    });
  });

  // Administration: what the `loopdesk` CLI calls when a server already holds the database.
  api.post('/admin/tokens', requireRole('admin'), async (c) => {
    const body = await readJson(c, TokenCreateRequest);
    if (!body.ok) return body.response;
    const principal = c.get('principal');
    if (principal.kind === 'token' && principal.tenantSlug !== body.data.tenant) {
      return c.json({ error: 'tenant: an admin can only create tokens in its own tenant' }, 403);
    }
    return c.json({ token: await createToken(database.db, body.data) });
  });

  // Enrollment (no bearer token), enrollment tokens, the token list and revocation.
  mountIdentityRoutes(api, database);

  api.post('/admin/kb/import', requireRole('admin'), async (c) => {
    const principal = c.get('principal');
    const format = c.req.query('format') ?? 'jsonl';
    const reader = HTTP_IMPORT_READERS.get(format);
    if (!reader) {
      const hint = format === 'markdown' ? ': a folder is not one body; `loopdesk kb import` reads it and sends format=records' : '';
      return c.json({ error: `format: unsupported format "${format}" (jsonl, zendesk or records)${hint}` }, 400);
    }
    let tenantId: string;
    if (principal.kind === 'system') {
      const tenant = c.req.query('tenant');
      if (!tenant) return c.json({ error: 'tenant: required query parameter' }, 400);
      tenantId = await ensureTenant(database.db, tenant);
    } else {
      tenantId = principal.tenantId;
    }
    const stream = c.req.raw.body;
    if (!stream) return c.json({ error: 'request body is empty' }, 400);
    const prune = ['1', 'true'].includes(c.req.query('prune') ?? '');
    const summary = await importRecords(database.db, tenantId, reader(Readable.fromWeb(stream as never)), { prune });
    embedInBackground(tenantId);
    return c.json(summary);
  });

  // Datasets and the KB-gap report (server/exports), streamed page by page as the client reads.
  // Leads and admins export their own tenant; the local CLI's system credential names one.
  api.get('/admin/exports/:kind', requireRole('lead'), async (c) => {
    const parsed = ExportRequest.safeParse({ ...c.req.query(), kind: c.req.param('kind') });
    if (!parsed.success) return c.json({ error: describeIssues(parsed.error) }, 400);
    const tenant = await tenantOfRequest(c, database.db, parsed.data.tenant);
    if ('response' in tenant) return tenant.response;
    const { tenantId } = tenant;
    let exported: ExportStream;
    try {
      exported = await createExport(database, tenantId, parsed.data);
    } catch (err) {
      if (err instanceof ExportInputError) return c.json({ error: err.message }, 400);
      throw err;
    }
    // The first page is read before answering, so a failure there is still an error status; a
    // failure later breaks the stream off, which the client sees as an incomplete body.
    const first = await exported.chunks.next();
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done) controller.close();
        else controller.enqueue(encoder.encode(first.value));
      },
      async pull(controller) {
        try {
          const next = await exported.chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          console.error(JSON.stringify({ level: 'error', msg: `export failed: ${(err as Error).message}`, path: c.req.path }));
          controller.error(err);
        }
      },
      async cancel() {
        await exported.chunks.return(undefined);
      },
    });
    return c.body(body, 200, {
      'content-type': exported.contentType,
      'content-disposition': `attachment; filename="${exported.filename}"`,
      'cache-control': 'no-store',
    });
  });

  // The flywheel (server/flywheel): learn from the annotations, gate, promote; list, promote and roll
  // back model versions. Admins act on their own tenant; the local CLI's system credential names one.
  {
    const modelAction = async (c: Context<AuthEnv>, action: (tenantId: string) => Promise<unknown>) => {
      const tenant = await tenantOfRequest(c, database.db, c.req.query('tenant'));
      if ('response' in tenant) return tenant.response;
      const { tenantId } = tenant;
      try {
        return c.json(await action(tenantId));
      } catch (err) {
        if (err instanceof ModelInputError) return c.json({ error: err.message }, 400);
        throw err;
      }
    };
    /** `?kind=` picks the model kind to list or roll back: `retrieval` (the default) or `reply-memory`. */
    const kindOf = (c: Context<AuthEnv>): string => {
      const kind = c.req.query('kind') ?? 'retrieval';
      if (!(MODEL_KINDS as readonly string[]).includes(kind)) throw new ModelInputError(`kind: one of ${MODEL_KINDS.join(', ')}`);
      return kind;
    };
    api.post('/admin/flywheel/run', requireRole('admin'), async (c) => {
      const body = await readJson(c, FlywheelRunRequest, { whenEmpty: {} });
      if (!body.ok) return body.response;
      return modelAction(c, (t) => runFlywheel(database, t, { cache: retriever.models, replyMemories, annotationWeighting: body.data.annotationWeighting }));
    });
    api.get('/admin/flywheel/annotators', requireRole('lead'), (c) => modelAction(c, (t) => latestAnnotationQuality(database, t)));
    api.get('/admin/flywheel/models', requireRole('lead'), (c) => modelAction(c, async (t) => listModels(database, t, kindOf(c))));
    api.post('/admin/flywheel/models/:id/promote', requireRole('admin'), (c) =>
      modelAction(c, (t) => (/^[0-9a-f-]{36}$/i.test(c.req.param('id')) ? promoteModel(database, t, c.req.param('id'), modelCaches) : Promise.reject(new ModelInputError('model: not a model id')))),
    );
    api.post('/admin/flywheel/rollback', requireRole('admin'), (c) =>
      modelAction(c, async (t) => rollbackModel(database, t, modelCaches, kindOf(c)).then((model) => ({ promoted: model }))),
    );
  }

  // Single-article changes for admins. The tenant is the token's: the system credential has none.
  api.post('/kb/articles', requireAgentIdentity(), requireRole('admin'), async (c) => {
    const body = await readJson(c, KbArticleInput);
    if (!body.ok) return body.response;
    const tenantId = callerOf(c.get('principal')).tenantId;
    const outcome = await upsertArticle(database.db, tenantId, body.data);
    if (outcome !== 'unchanged') embedInBackground(tenantId);
    const answer: KbArticleUpsertResponse = { id: body.data.id, outcome };
    return c.json(answer, outcome === 'created' ? 201 : 200);
  });

  // `{.+}`: Markdown ids are paths (`faq/refunds`), and a slash may arrive unencoded.
  api.delete('/kb/articles/:id{.+}', requireAgentIdentity(), requireRole('admin'), async (c) => {
    const id = c.req.param('id');
    const deleted = await deleteArticle(database.db, callerOf(c.get('principal')).tenantId, id);
    return deleted ? c.body(null, 204) : c.json({ error: `no article with id "${id}"` }, 404);
  });

  // Selector overrides: a helpdesk UI change fixed for every agent of the tenant, as data.
  const helpdeskParam = (c: Context<Env>) => {
    const parsed = Helpdesk.safeParse(c.req.param('helpdesk'));
    return parsed.success ? parsed.data : null;
  };
  const unknownHelpdesk = (c: Context<Env>) =>
    c.json({ error: `helpdesk: expected one of ${Helpdesk.options.join(', ')}, got "${c.req.param('helpdesk')}"` }, 400);

  api.get('/helpdesks/:helpdesk/selectors', requireAgentIdentity(), async (c) => {
    const helpdesk = helpdeskParam(c);
    if (!helpdesk) return unknownHelpdesk(c);
    const overrides = await readSelectorOverrides(database, callerOf(c.get('principal')).tenantId, helpdesk);
    // Extensions ask on every page load; an unchanged set costs a 304.
    return conditionalJson(c, overrides);
  });

  api.put('/admin/helpdesks/:helpdesk/selectors', requireAgentIdentity(), requireRole('admin'), async (c) => {
    const helpdesk = helpdeskParam(c);
    if (!helpdesk) return unknownHelpdesk(c);
    const body = await readJson(c, SelectorOverridesPut);
    if (!body.ok) return body.response;
    const caller = callerOf(c.get('principal'));
    return c.json(await writeSelectorOverrides(database, caller.tenantId, helpdesk, body.data.selectors, caller.agentId));
  });

  api.delete('/admin/helpdesks/:helpdesk/selectors', requireAgentIdentity(), requireRole('admin'), async (c) => {
    const helpdesk = helpdeskParam(c);
    if (!helpdesk) return unknownHelpdesk(c);
    const cleared = await clearSelectorOverrides(database, callerOf(c.get('principal')).tenantId, helpdesk);
    return cleared ? c.body(null, 204) : c.json({ error: `no selector overrides for ${helpdesk}` }, 404);
  });

  api.post('/diagnostics/selector-misses', requireAgentIdentity(), async (c) => {
    const body = await readJson(c, SelectorMissReport);
    if (!body.ok) return body.response;
    await recordSelectorMiss(database, callerOf(c.get('principal')).tenantId, body.data);
    return c.body(null, 204);
  });

  api.get('/admin/selector-misses', requireAgentIdentity(), requireRole('lead'), async (c) => {
    return c.json({ misses: await listSelectorMisses(database, callerOf(c.get('principal')).tenantId) });
  });

  // Experiments (server/experiments): leads' CRUD and audit log, agents' sticky assignment, and the
  // per-arm metrics, compared against each experiment's own control arm.
  api.route('/', experimentRoutes({ database, running: runningExperiments, pollSeconds: options.experimentPollSeconds ?? DEFAULT_EXPERIMENT_POLL_SECONDS }));
  // Tenant settings (server/tenant-settings.ts): below enterprise policy, above agents' own options.
  api.route('/', tenantSettingsRoutes(database, tenantSettings));
  api.route('/', finetuneRoutes(database));
  mountExperimentMetricsRoutes(api, database, {
    experimentSettings: async (tenantId, key) => {
      const experiment = await getExperiment(database, tenantId, key);
      return experiment && { controlArm: experiment.controlArm, arms: experiment.arms.map((arm) => arm.name) };
    },
  });

  app.route('/v1', api);
  return app;
}
