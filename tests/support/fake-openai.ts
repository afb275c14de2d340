/**
 * A local stand-in for an OpenAI-compatible API, over real HTTP, for tests and benchmarks: chat
 * completions (plain and streamed), embeddings (float and base64), files and fine-tuning jobs.
 * Each test scripts how chat calls behave (reply, delays, errors, hangs, broken chunks) and can read
 * back every request it received, with the time the first token went out.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatMessage {
  role: string;
  content: string;
}

/** How the next chat completion calls behave. Everything is optional; the default answers at once. */
export interface ChatBehaviour {
  /** The reply, or a function of the request's messages. Default: a short fixed sentence. */
  reply?: string | ((messages: ChatMessage[], body: Record<string, unknown>) => string);
  /** Wait before the first token (streaming) or the whole answer (non-streaming). */
  firstTokenDelayMs?: number;
  /** Wait between tokens. A token is a word with the whitespace before it. */
  tokenDelayMs?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead. */
  status?: number;
  /** Never answer: no status, no headers. */
  hang?: boolean;
  /** Stream this many tokens, then go silent without ending the response. */
  stallAfterTokens?: number;
  /** Stream this many tokens, then a chunk that is not JSON, then end. */
  malformedAfterTokens?: number;
  /** Stream this many tokens, then end the response with no finish reason and no `[DONE]`. */
  endAfterTokens?: number;
}

export type BehaviourScript = ChatBehaviour | ((request: RecordedRequest) => ChatBehaviour);

/**
 * How the files and fine-tuning endpoints behave; by default uploads succeed and every job goes
 * validating_files → queued → running → succeeded, one step per retrieval.
 */
export interface FineTuningBehaviour {
  /** Answer `POST /v1/files` with this HTTP status (and an OpenAI-style error) instead of storing the file. */
  uploadStatus?: number;
  /**
   * Answer `POST /v1/fine_tuning/jobs` with this HTTP status and error. Independently of it, a job whose
   * training file is not JSONL in its method's format is refused with 400 `invalid_training_file`.
   */
  createStatus?: number;
  /** The job ends `failed` (with this error message) instead of succeeding. */
  failWith?: string;
  /** Answer job retrievals with this HTTP status (the job does not advance). */
  retrieveStatus?: number;
}

export interface FakeOpenAIOptions {
  behaviour?: BehaviourScript;
  fineTuning?: FineTuningBehaviour;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Length of the deterministic embeddings. Default 64. */
  embeddingDim?: number;
  /** Answer embeddings in this format whatever the request asked (as some servers do). */
  forceEmbeddingEncoding?: 'float' | 'base64';
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body; for multipart uploads, the text fields plus `{file: {filename, bytes}}`. */
  body: any;
  /** `performance.now()` when the request was read. */
  receivedAt: number;
  /** `performance.now()` when the first content token was written (streamed chat calls). */
  firstTokenAt?: number;
  /** The client closed the connection before the answer was complete (a cancelled call). */
  closedEarly?: boolean;
}

export interface FakeOpenAI {
  /** Base URL for the openai SDK (ends in `/v1`). */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the chat behaviour for the calls that follow. */
  setBehaviour(behaviour: BehaviourScript): void;
  /** Replaces the files and fine-tuning behaviour for the calls that follow. */
  setFineTuning(behaviour: FineTuningBehaviour): void;
  /** The bytes of an uploaded file, as received (undefined for an unknown or deleted id). */
  fileContent(id: string): Buffer | undefined;
  /** A fine-tuning job as the server holds it now (undefined for an unknown id). */
  job(id: string): Record<string, any> | undefined;
  /** The embedding the server gives `text` (as float32 values). */
  embeddingOf(text: string): number[];
  close(): Promise<void>;
}

const DEFAULT_REPLY = 'Thanks for reaching out. Here is what to do next [1].';

/** Words with the whitespace before them, so that joining the tokens gives the reply back exactly. */
function tokensOf(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Hashed bag of words, L2-normalised and rounded to float32: texts sharing words point the same way. */
export function hashedEmbedding(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = fnv1a(word);
    v[h % dim]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  return v.map((x) => Math.fround(norm ? x / norm : 0));
}

function toBase64Float32(values: number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((x, i) => buffer.writeFloatLE(x, i * 4));
  return buffer.toString('base64');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorBody(status: number, message: string, code: string | null = null) {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code } };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);

const isMessage = (m: any, roles: string[]) => m && typeof m === 'object' && roles.includes(m.role) && typeof m.content === 'string';

/**
 * What OpenAI's file validation would reject in a training file for a method, or null: each line JSON,
 * `supervised` lines `{messages}` ending with an assistant message, `dpo` lines `{input: {messages},
 * preferred_output: [assistant], non_preferred_output: [assistant]}`.
 */
function trainingFileProblem(content: Buffer, method: string): string | null {
  const lines = content.toString('utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return 'the file is empty';
  for (let i = 0; i < lines.length; i++) {
    let line: any;
    try {
      line = JSON.parse(lines[i]!);
    } catch {
      return `line ${i + 1} is not JSON`;
    }
    if (method === 'dpo') {
      const ok =
        Array.isArray(line?.input?.messages) &&
        line.input.messages.every((m: any) => isMessage(m, ['system', 'user', 'assistant'])) &&
        Array.isArray(line.preferred_output) &&
        line.preferred_output.length === 1 &&
        isMessage(line.preferred_output[0], ['assistant']) &&
        Array.isArray(line.non_preferred_output) &&
        line.non_preferred_output.length === 1 &&
        isMessage(line.non_preferred_output[0], ['assistant']);
      if (!ok) return `line ${i + 1} is not a preference example`;
    } else if (method === 'supervised') {
      const messages = line?.messages;
      const ok = Array.isArray(messages) && messages.length >= 2 && messages.every((m: any) => isMessage(m, ['system', 'user', 'assistant'])) && messages.at(-1).role === 'assistant';
      if (!ok) return `line ${i + 1} is not a chat example`;
    } else {
      return `method ${method} is not supported here`;
    }
  }
  return null;
}

interface StoredFile {
  meta: { id: string; object: 'file'; bytes: number; created_at: number; filename: string; purpose: string; status: 'processed'; expires_at: null; status_details: null };
  content: Buffer;
}

type JobStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** Each retrieval of a job moves it one step on, so a poller sees it finish after a few calls. */
const NEXT_STATUS: Partial<Record<JobStatus, JobStatus>> = { validating_files: 'queued', queued: 'running', running: 'succeeded' };

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let behaviour: BehaviourScript = options.behaviour ?? {};
  const dim = options.embeddingDim ?? 64;
  const requests: RecordedRequest[] = [];
  const files = new Map<string, StoredFile>();
  const jobs = new Map<string, Record<string, any>>();
  const jobEvents = new Map<string, { object: 'fine_tuning.job.event'; id: string; created_at: number; level: 'info' | 'warn' | 'error'; message: string; type: 'message'; data: null }[]>();
  let fineTuning: FineTuningBehaviour = options.fineTuning ?? {};
  const addEvent = (jobId: string, message: string, level: 'info' | 'warn' | 'error' = 'info') =>
    jobEvents.get(jobId)?.push({ object: 'fine_tuning.job.event', id: newId('ftevent'), created_at: now(), level, message, type: 'message', data: null });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  async function chat(record: RecordedRequest, res: ServerResponse) {
    const script = typeof behaviour === 'function' ? behaviour(record) : behaviour;
    const body = record.body as Record<string, any>;
    if (script.hang) {
      // The socket stays open until the client gives up or close() runs.
      res.on('close', () => (record.closedEarly = true));
      return;
    }
    if (script.status) {
      await sleep(script.firstTokenDelayMs ?? 0);
      send(res, script.status, errorBody(script.status, `scripted failure ${script.status}`), script.status === 429 ? { 'retry-after': '1' } : {});
      return;
    }
    const messages = (body.messages ?? []) as ChatMessage[];
    const reply = typeof script.reply === 'function' ? script.reply(messages, body) : (script.reply ?? DEFAULT_REPLY);
    const tokens = tokensOf(reply);
    const usage = {
      prompt_tokens: messages.reduce((n, m) => n + wordCount(typeof m.content === 'string' ? m.content : JSON.stringify(m.content)), 0),
      completion_tokens: tokens.length,
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = newId('chatcmpl');
    const created = now();
    const model = String(body.model ?? 'fake-model');

    if (!body.stream) {
      await sleep((script.firstTokenDelayMs ?? 0) + (script.tokenDelayMs ?? 0) * tokens.length);
      send(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      });
      return;
    }

    let closed = false;
    res.on('close', () => {
      closed = true;
      if (!res.writableFinished) record.closedEarly = true;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    await sleep(script.firstTokenDelayMs ?? 0);
    for (let i = 0; i < tokens.length; i++) {
      if (closed) return;
      if (i === script.stallAfterTokens) return;
      if (i === script.endAfterTokens) {
        res.end();
        return;
      }
      if (i === script.malformedAfterTokens) {
        res.end('data: {"choices": [{"delta": {"content": "oops\n\n');
        return;
      }
      if (i > 0 && script.tokenDelayMs) await sleep(script.tokenDelayMs);
      if (closed) return;
      res.write(chunk({ content: tokens[i] }, null));
      record.firstTokenAt ??= performance.now();
    }
    if (closed || script.stallAfterTokens === tokens.length) return;
    res.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  function embeddings(record: RecordedRequest, res: ServerResponse) {
    const body = record.body as { input?: unknown; model?: string; encoding_format?: string };
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : null;
    if (!inputs || inputs.some((x) => typeof x !== 'string')) {
      send(res, 400, errorBody(400, "'input' must be a string or an array of strings"));
      return;
    }
    const format = options.forceEmbeddingEncoding ?? (body.encoding_format === 'base64' ? 'base64' : 'float');
    let tokens = 0;
    const data = (inputs as string[]).map((text, index) => {
      tokens += wordCount(text);
      const vector = hashedEmbedding(text, dim);
      return { object: 'embedding', index, embedding: format === 'base64' ? toBase64Float32(vector) : vector };
    });
    send(res, 200, { object: 'list', data, model: body.model ?? 'fake-embedding', usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  async function uploadFile(req: IncomingMessage, raw: Buffer, record: RecordedRequest, res: ServerResponse) {
    if (fineTuning.uploadStatus) {
      send(res, fineTuning.uploadStatus, errorBody(fineTuning.uploadStatus, `scripted upload failure ${fineTuning.uploadStatus}`));
      return;
    }
    let form: FormData;
    try {
      form = await new Request('http://fake/upload', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: new Uint8Array(raw),
      }).formData();
    } catch {
      send(res, 400, errorBody(400, 'expected a multipart/form-data body'));
      return;
    }
    const file = form.get('file');
    const purpose = form.get('purpose');
    if (!(file instanceof File) || typeof purpose !== 'string') {
      send(res, 400, errorBody(400, "'file' and 'purpose' are required"));
      return;
    }
    const content = Buffer.from(await file.arrayBuffer());
    record.body = { purpose, file: { filename: file.name, bytes: content.length } };
    const meta: StoredFile['meta'] = {
      id: newId('file'),
      object: 'file',
      bytes: content.length,
      created_at: now(),
      filename: file.name,
      purpose,
      status: 'processed',
      expires_at: null,
      status_details: null,
    };
    files.set(meta.id, { meta, content });
    send(res, 200, meta);
  }

  function createJob(record: RecordedRequest, res: ServerResponse) {
    const body = record.body as Record<string, any>;
    if (typeof body.model !== 'string' || !body.model) {
      send(res, 400, errorBody(400, "'model' is required"));
      return;
    }
    if (!files.has(body.training_file)) {
      send(res, 400, errorBody(400, `invalid training_file: ${body.training_file}`, 'invalid_training_file'));
      return;
    }
    if (fineTuning.createStatus) {
      send(res, fineTuning.createStatus, errorBody(fineTuning.createStatus, `scripted job failure ${fineTuning.createStatus}`));
      return;
    }
    const methodType = body.method?.type ?? 'supervised';
    const problem = trainingFileProblem(files.get(body.training_file)!.content, methodType);
    if (problem) {
      send(res, 400, errorBody(400, `invalid training_file ${body.training_file} for ${methodType}: ${problem}`, 'invalid_training_file'));
      return;
    }
    const hyperparameters = { batch_size: 'auto', learning_rate_multiplier: 'auto', n_epochs: 'auto', ...(body.hyperparameters ?? {}) };
    const job = {
      id: newId('ftjob'),
      object: 'fine_tuning.job',
      created_at: now(),
      error: null,
      fine_tuned_model: null,
      finished_at: null,
      hyperparameters,
      model: body.model,
      organization_id: 'org-fake',
      result_files: [],
      seed: typeof body.seed === 'number' ? body.seed : 42,
      status: 'validating_files' as JobStatus,
      trained_tokens: null,
      training_file: body.training_file,
      validation_file: body.validation_file ?? null,
      estimated_finish: null,
      integrations: null,
      metadata: body.metadata ?? null,
      suffix: body.suffix ?? null,
      method: body.method ?? { type: 'supervised', supervised: { hyperparameters } },
    };
    jobs.set(job.id, job);
    jobEvents.set(job.id, []);
    addEvent(job.id, `Created fine-tuning job: ${job.id}`);
    addEvent(job.id, `Validating training file: ${job.training_file}`);
    send(res, 200, job);
  }

  function advance(job: Record<string, any>) {
    const next = NEXT_STATUS[job.status as JobStatus];
    if (!next) return;
    if (next === 'succeeded' && fineTuning.failWith) {
      job.status = 'failed';
      job.finished_at = now();
      job.error = { code: 'invalid_training_file', message: fineTuning.failWith, param: 'training_file' };
      addEvent(job.id, `Fine-tuning job failed: ${fineTuning.failWith}`, 'error');
      return;
    }
    job.status = next;
    addEvent(job.id, next === 'queued' ? 'Files validated, moving job to queued state' : next === 'running' ? 'Fine-tuning job started' : 'The job has successfully completed');
    if (next === 'succeeded') {
      job.finished_at = now();
      job.trained_tokens = files.get(job.training_file)?.content.length ?? 0;
      job.fine_tuned_model = `ft:${job.model}:org-fake:${job.suffix ?? 'loopdesk'}:${job.id.slice(6, 14)}`;
      job.result_files = [];
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const isJson = (req.headers['content-type'] ?? '').includes('application/json');
    let body: unknown = null;
    if (isJson && raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        send(res, 400, errorBody(400, 'body is not valid JSON'));
        return;
      }
    }
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body, receivedAt: performance.now() };
    requests.push(record);
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      send(res, 401, errorBody(401, 'Incorrect API key provided', 'invalid_api_key'));
      return;
    }
    const route = `${record.method} ${url.pathname}`;
    const job = /^\/v1\/fine_tuning\/jobs\/([^/]+)(\/cancel|\/events)?$/.exec(url.pathname);
    const file = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(url.pathname);
    if (route === 'POST /v1/chat/completions') return chat(record, res);
    if (route === 'POST /v1/embeddings') return embeddings(record, res);
    if (route === 'POST /v1/files') return uploadFile(req, raw, record, res);
    if (route === 'POST /v1/fine_tuning/jobs') return createJob(record, res);
    if (route === 'GET /v1/fine_tuning/jobs') {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const all = [...jobs.values()].reverse();
      return send(res, 200, { object: 'list', data: all.slice(0, limit), has_more: all.length > limit });
    }
    if (job && jobs.has(job[1]!)) {
      const found = jobs.get(job[1]!)!;
      if (record.method === 'GET' && job[2] === '/events') {
        // Newest first, as OpenAI lists them; `after` is the id of the last event of the previous page.
        const all = [...jobEvents.get(found.id)!].reverse();
        const after = url.searchParams.get('after');
        const start = after ? all.findIndex((e) => e.id === after) + 1 : 0;
        const limit = Number(url.searchParams.get('limit') ?? 20);
        const page = all.slice(start, start + limit);
        return send(res, 200, { object: 'list', data: page, has_more: start + limit < all.length });
      }
      if (record.method === 'GET' && !job[2]) {
        if (fineTuning.retrieveStatus) {
          return send(res, fineTuning.retrieveStatus, errorBody(fineTuning.retrieveStatus, `scripted retrieve failure ${fineTuning.retrieveStatus}`));
        }
        const snapshot = { ...found };
        advance(found);
        return send(res, 200, snapshot);
      }
      if (record.method === 'POST' && job[2] === '/cancel') {
        if (!['succeeded', 'failed', 'cancelled'].includes(found.status)) {
          found.status = 'cancelled';
          addEvent(found.id, 'Fine-tuning job cancelled');
        }
        return send(res, 200, found);
      }
    }
    if (file && !file[2] && record.method === 'DELETE' && files.has(file[1]!)) {
      files.delete(file[1]!);
      return send(res, 200, { id: file[1], object: 'file', deleted: true });
    }
    if (file && record.method === 'GET' && files.has(file[1]!)) {
      const stored = files.get(file[1]!)!;
      if (file[2]) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(stored.content);
        return;
      }
      return send(res, 200, stored.meta);
    }
    send(res, 404, errorBody(404, `no route for ${route}`, 'not_found'));
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, errorBody(500, err.message));
      else res.destroy(err);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setBehaviour(next) {
      behaviour = next;
    },
    setFineTuning(next) {
      fineTuning = next;
    },
    fileContent: (id) => files.get(id)?.content,
    job: (id) => jobs.get(id),
    embeddingOf: (text) => hashedEmbedding(text, dim),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
