import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { streamSuggestion } from '../../lib/backend-client';
import { SuggestResponse, SuggestStreamEvent, type SuggestStreamMeta, type TicketContext } from '../../lib/contract';
import { readSse } from '../../lib/sse';
import { configFromEnv } from '../../server/config';
import type { GenerationRecord } from '../../server/generation';
import { generationConfigFromEnv } from '../../server/generation/profiles';
import { createEmbedder, decodeBase64Embedding, embedderConfigFromEnv } from '../../server/retrieval/embeddings';
import { startFakeOpenAI, type ChatMessage, type FakeOpenAI, type RecordedRequest } from '../support/fake-openai';
import { importThermostatKb } from '../support/kb-fixture';
import { DATABASE_KINDS, startTestServer, type TestServer } from '../support/server';


const TICKET = {
  helpdesk: 'zendesk',
  ticketId: 'T-100',
  subject: 'Thermostat will not join my wifi',
  messages: [
    { author: 'customer', text: 'Hi,\nmy new thermostat does not connect to the wifi network. What should I do?\n\nThanks,\nDana' },
    { author: 'agent', text: 'Internal: check the router model first.', internal: true },
  ],
  tags: [],
};

/** The model's whole-call budget on the test server: short, so that timeouts are quick to test. */
const TIMEOUT_MS = 1_500;
const CITED_REPLY = 'Hello! Hold the dial for five seconds until the ring blinks blue [1]. Use a 2.4 GHz network [1].';

const systemPrompt = (r: RecordedRequest) => (r.body.messages as ChatMessage[])[0]!.content;
const isArmA = (r: RecordedRequest) => r.body.model === 'fake-small';

interface Received {
  event: SuggestStreamEvent;
  at: number;
}

/** Posts a ticket asking for SSE and returns every event, validated, with its arrival time. */
async function streamSuggest(server: TestServer, token: string, body: unknown = TICKET, signal?: AbortSignal) {
  const started = performance.now();
  const response = await fetch(`${server.url}/v1/suggest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: Received[] = [];
  for await (const message of readSse(response.body!)) {
    const parsed = SuggestStreamEvent.safeParse(JSON.parse(message.data));
    expect(parsed.success, message.data).toBe(true);
    expect(message.event).toBe(parsed.data!.type);
    events.push({ event: parsed.data!, at: performance.now() - started });
  }
  return { events, elapsedMs: performance.now() - started };
}

function finalCandidates(events: Received[]) {
  return events.flatMap((e) => (e.event.type === 'candidate' ? [e.event.candidate] : []));
}

async function generationOf(server: TestServer, suggestionId: string): Promise<GenerationRecord[]> {
  const [row] = await server.database.query('select generation from suggestions where id = $1', [suggestionId]);
  return row!.generation as GenerationRecord[];
}

describe.each(DATABASE_KINDS)('generation with an OpenAI-compatible model on %s', (kind) => {
  let fake: FakeOpenAI;
  let server: TestServer;
  let agent: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test' });
    server = await startTestServer(kind, {
      env: {
        LOOPDESK_LLM_BASE_URL: fake.url,
        LOOPDESK_LLM_API_KEY: 'sk-test',
        LOOPDESK_LLM_MODEL: 'fake-large',
        LOOPDESK_LLM_TIMEOUT_MS: String(TIMEOUT_MS),
        // Arm A overrides everything; arm B takes the model from LOOPDESK_LLM_MODEL.
        LOOPDESK_GENERATION_PROFILES: JSON.stringify([
          { arm: 'A', promptVersion: 'concise-v1', model: 'fake-small', temperature: 0.1, maxTokens: 300 },
          { arm: 'B', promptVersion: 'warm-v1', temperature: 0.9, maxTokens: 600 },
        ]),
      },
    });
    await importThermostatKb(server.database, 'acme');
    agent = await server.token('agent');
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setBehaviour({ reply: CITED_REPLY });
  });

  it('streams meta, interleaved deltas, both final candidates and done, each a valid contract event', async () => {
    fake.setBehaviour({ reply: CITED_REPLY, firstTokenDelayMs: 50, tokenDelayMs: 10 });
    const { events } = await streamSuggest(server, agent);
    const types = events.map((e) => e.event.type);
    expect(types[0]).toBe('meta');
    expect(types.at(-1)).toBe('done');
    expect(types.filter((t) => t === 'candidate')).toHaveLength(2);
    expect(types.filter((t) => t === 'delta').length).toBeGreaterThan(10);
    // Text arrives before either candidate is final: nothing is buffered until the end.
    expect(types.indexOf('delta')).toBeLessThan(types.indexOf('candidate'));

    const meta = events[0]!.event as SuggestStreamMeta;
    expect(meta.candidates.map((c) => [c.arm, c.model])).toEqual([
      ['A', 'fake-small'],
      ['B', 'fake-large'],
    ]);
    expect(meta.articles[0]!.articleId).toBe('kb-wifi');
    for (const candidate of finalCandidates(events)) {
      const streamed = events
        .flatMap((e) => (e.event.type === 'delta' && e.event.candidateId === candidate.id ? [e.event.text] : []))
        .join('');
      expect(streamed).toBe(CITED_REPLY);
      expect(candidate).toMatchObject({ text: CITED_REPLY, citations: [1] });
      expect(candidate.fallback).toBeUndefined();
    }
    expect(meta.candidates.map((c) => c.id).sort()).toEqual(finalCandidates(events).map((c) => c.id).sort());
  });

  it('prompts each arm with its own profile: numbered articles, the cleaned ticket, model and temperature', async () => {
    const { events } = await streamSuggest(server, agent);
    const meta = events[0]!.event as SuggestStreamMeta;
    expect(fake.requests).toHaveLength(2);
    const a = fake.requests.find(isArmA)!;
    const b = fake.requests.find((r) => !isArmA(r))!;
    expect(a.headers.authorization).toBe('Bearer sk-test');
    expect(a.body).toMatchObject({ model: 'fake-small', temperature: 0.1, max_tokens: 300, stream: true, stream_options: { include_usage: true } });
    expect(b.body).toMatchObject({ model: 'fake-large', temperature: 0.9, max_tokens: 600 });
    expect(systemPrompt(a)).toContain('Be brief and direct');
    expect(systemPrompt(b)).toContain('Be warm and reassuring');
    const user = (a.body.messages as ChatMessage[])[1]!.content;
    expect(user).toMatch(/^Knowledge-base articles:\n\n\[1\] Connect the thermostat to Wi-Fi\n\S/);
    for (const article of meta.articles) expect(user).toContain(`\n[${article.n}] ${article.title}\n`);
    expect(user).toContain('Customer: my new thermostat does not connect to the wifi network. What should I do?');
    // Greeting and signature are cleaned away, and internal notes never reach the model.
    expect(user).not.toContain('Dana');
    expect(user).not.toContain('router model');
  });

  it('removes citations of articles it did not give, counts them, and never streams them', async () => {
    fake.setBehaviour({ reply: 'Hold the dial for five seconds [1]. Our warranty covers this [99]. See also [1, 98].' });
    const { events } = await streamSuggest(server, agent);
    const deltas = events.flatMap((e) => (e.event.type === 'delta' ? [e.event.text] : [])).join('');
    expect(deltas).not.toMatch(/\[9[89]\]|98|99/);
    const [candidate] = finalCandidates(events);
    expect(candidate).toMatchObject({
      text: 'Hold the dial for five seconds [1]. Our warranty covers this. See also [1].',
      citations: [1],
    });
    const meta = events[0]!.event as SuggestStreamMeta;
    const records = await generationOf(server, meta.suggestionId);
    expect(records.map((r) => r.invalidCitations)).toEqual([2, 2]);
  });

  it('stores token usage, latency and time to first token of each call with the suggestion', async () => {
    fake.setBehaviour({ reply: CITED_REPLY, firstTokenDelayMs: 120, tokenDelayMs: 5 });
    const { events } = await streamSuggest(server, agent);
    const meta = events[0]!.event as SuggestStreamMeta;
    const records = await generationOf(server, meta.suggestionId);
    expect(records).toHaveLength(2);
    const completionTokens = CITED_REPLY.match(/\s*\S+/g)!.length;
    for (const [i, record] of records.entries()) {
      const request = fake.requests.find((r) => r.body.model === record.model)!;
      const promptWords = (request.body.messages as ChatMessage[]).reduce((n, m) => n + (m.content.match(/[\p{L}\p{N}]+/gu)?.length ?? 0), 0);
      expect(record).toMatchObject({
        candidateId: meta.candidates[i]!.id,
        arm: ['A', 'B'][i],
        promptVersion: ['concise-v1', 'warm-v1'][i],
        temperature: [0.1, 0.9][i],
        invalidCitations: 0,
        usage: { prompt_tokens: promptWords, completion_tokens: completionTokens, total_tokens: promptWords + completionTokens },
      });
      expect(record.fallback).toBeUndefined();
      expect(record.ttftMs).toBeGreaterThanOrEqual(115);
      expect(record.latencyMs).toBeGreaterThanOrEqual(record.ttftMs! + 5 * (completionTokens - 1) - 5);
      expect(record.latencyMs).toBeLessThan(TIMEOUT_MS);
    }
    // The JSON answer is unchanged by streaming and still satisfies Contract v1.
    const json = await server.call('/v1/suggest', { token: agent, body: TICKET });
    expect(SuggestResponse.safeParse(json.body).success).toBe(true);
    expect(json.body.candidates.map((c: { text: string }) => c.text)).toEqual([CITED_REPLY, CITED_REPLY]);
  });

  it('falls back to the extractive reply, per arm, when the model answers 500 or 429', async () => {
    fake.setBehaviour((r) => (isArmA(r) ? { status: 500 } : { status: 429 }));
    const { events } = await streamSuggest(server, agent);
    const [a, b] = finalCandidates(events).sort((x, y) => x.arm.localeCompare(y.arm));
    for (const [candidate, reason] of [
      [a!, 'http_500'],
      [b!, 'http_429'],
    ] as const) {
      expect(candidate).toMatchObject({ model: 'extractive-v1', fallback: reason });
      expect(candidate.text).toMatch(/^Hi there,\n\n.*\[1\]/s);
      expect(candidate.citations).toContain(1);
    }
    expect(events.at(-1)!.event.type).toBe('done');
    const meta = events[0]!.event as SuggestStreamMeta;
    const records = await generationOf(server, meta.suggestionId);
    expect(records.map((r) => [r.model, r.fallback, r.usage])).toEqual([
      ['fake-small', 'http_500', null],
      ['fake-large', 'http_429', null],
    ]);
    // One attempt each: a retry would only keep the agent waiting longer.
    expect(fake.requests).toHaveLength(2);

    // The JSON path falls back the same way.
    const json = await server.call('/v1/suggest', { token: agent, body: TICKET });
    expect(json.body.candidates.map((c: { fallback?: string }) => c.fallback)).toEqual(['http_500', 'http_429']);
  });

  it('falls back within the timeout when the model hangs, or stalls mid-reply, while the other arm answers', async () => {
    fake.setBehaviour((r) => (isArmA(r) ? { hang: true } : { reply: CITED_REPLY }));
    const hung = await streamSuggest(server, agent);
    expect(hung.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(hung.elapsedMs).toBeLessThan(TIMEOUT_MS + 1_000);
    const [a, b] = finalCandidates(hung.events).sort((x, y) => x.arm.localeCompare(y.arm));
    expect(a).toMatchObject({ arm: 'A', model: 'extractive-v1', fallback: 'timeout' });
    expect(b).toMatchObject({ arm: 'B', model: 'fake-large', text: CITED_REPLY });
    // B was final long before A gave up: candidates are sent as each is ready.
    const bAt = hung.events.find((e) => e.event.type === 'candidate' && e.event.candidate.arm === 'B')!.at;
    expect(bAt).toBeLessThan(TIMEOUT_MS - 500);
    await expect.poll(() => fake.requests.find(isArmA)?.closedEarly).toBe(true);

    fake.requests.length = 0;
    fake.setBehaviour((r) => (isArmA(r) ? { reply: CITED_REPLY, stallAfterTokens: 3 } : { reply: CITED_REPLY }));
    const stalled = await streamSuggest(server, agent);
    expect(stalled.elapsedMs).toBeLessThan(TIMEOUT_MS + 1_000);
    const partial = stalled.events.flatMap((e) => (e.event.type === 'delta' && e.event.candidateId.endsWith(':A') ? [e.event.text] : []));
    expect(partial.join('')).toBe('Hello! Hold the');
    const meta = stalled.events[0]!.event as SuggestStreamMeta;
    const [recordA] = await generationOf(server, meta.suggestionId);
    expect(recordA).toMatchObject({ fallback: 'timeout', usage: null });
    expect(recordA!.ttftMs).not.toBeNull();
  });

  it('falls back on a malformed chunk, an empty reply and a stream cut short', async () => {
    fake.setBehaviour((r) => (isArmA(r) ? { reply: CITED_REPLY, malformedAfterTokens: 2 } : { reply: '   ' }));
    const first = finalCandidates((await streamSuggest(server, agent)).events).sort((x, y) => x.arm.localeCompare(y.arm));
    expect(first.map((c) => c.fallback)).toEqual(['malformed', 'empty']);
    fake.setBehaviour((r) => (isArmA(r) ? { reply: CITED_REPLY, endAfterTokens: 4 } : { reply: CITED_REPLY }));
    const second = finalCandidates((await streamSuggest(server, agent)).events).sort((x, y) => x.arm.localeCompare(y.arm));
    expect(second.map((c) => c.fallback)).toEqual(['incomplete', undefined]);
  });

  it('stops the model calls when the client goes away', async () => {
    fake.setBehaviour({ reply: CITED_REPLY, tokenDelayMs: 200 });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/suggest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(TICKET),
      signal: controller.signal,
    });
    for await (const message of readSse(response.body!)) {
      if (message.event === 'delta') break;
    }
    controller.abort();
    await expect.poll(() => fake.requests.filter((r) => r.closedEarly).length).toBe(2);
  });

  it("relays through the background worker's client, which reports failures as messages", async () => {
    fake.setBehaviour({ reply: CITED_REPLY, tokenDelayMs: 5 });
    const target = { serverUrl: server.url, token: agent };
    const received: SuggestStreamEvent[] = [];
    await streamSuggestion(target, TICKET as TicketContext, (e) => received.push(e));
    expect(received[0]!.type).toBe('meta');
    expect(received.at(-1)!.type).toBe('done');
    expect(received.filter((e) => e.type === 'candidate')).toHaveLength(2);

    await expect(streamSuggestion({ ...target, token: 'ld_nope' }, TICKET as TicketContext, () => {})).rejects.toThrow(/answered 401/);
    await expect(streamSuggestion({ serverUrl: 'http://127.0.0.1:9', token: agent }, TICKET as TicketContext, () => {})).rejects.toThrow(
      /unreachable at http:\/\/127\.0\.0\.1:9/,
    );
    const cancel = new AbortController();
    const cancelled = streamSuggestion(target, TICKET as TicketContext, (e) => e.type === 'delta' && cancel.abort(), cancel.signal);
    await expect(cancelled).rejects.toThrow();
  });

  it('answers SSE only when asked, and reports bad input as JSON before any stream starts', async () => {
    const bad = await server.call('/v1/suggest', { token: agent, body: { ...TICKET, helpdesk: 'jira' }, headers: { accept: 'text/event-stream' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^helpdesk: /);
    const json = await server.call('/v1/suggest', { token: agent, body: TICKET, headers: { accept: 'application/json' } });
    expect(SuggestResponse.safeParse(json.body).success).toBe(true);
  });
});

describe('generation profiles from the environment', () => {
  it('uses two default arms with different prompt versions and temperatures', () => {
    const config = generationConfigFromEnv({ LOOPDESK_LLM_BASE_URL: 'http://127.0.0.1:9/v1', LOOPDESK_LLM_MODEL: 'm' });
    expect(config.llm).toEqual({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'not-needed', timeoutMs: 20_000 });
    const [a, b] = config.profiles;
    expect([a.arm, b.arm]).toEqual(['A', 'B']);
    expect(a.promptVersion).not.toBe(b.promptVersion);
    expect(a.temperature).not.toBe(b.temperature);
    expect([a.model, b.model]).toEqual(['m', 'm']);
  });

  it('serves both arms offline when no model is configured', () => {
    const config = generationConfigFromEnv({});
    expect(config.llm).toBeNull();
    expect(config.profiles.map((p) => p.arm)).toEqual(['A', 'B']);
  });

  it('takes an override from LOOPDESK_GENERATION_PROFILES', () => {
    const config = generationConfigFromEnv({
      LOOPDESK_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      LOOPDESK_LLM_MODEL: 'base-model',
      LOOPDESK_LLM_TIMEOUT_MS: '5000',
      LOOPDESK_GENERATION_PROFILES: JSON.stringify([
        { arm: 'short', promptVersion: 'concise-v1', model: 'small', temperature: 0, maxTokens: 200 },
        { arm: 'kind', promptVersion: 'warm-v1', temperature: 1.1, maxTokens: 700 },
      ]),
    });
    expect(config.llm!.timeoutMs).toBe(5_000);
    expect(config.profiles).toEqual([
      { arm: 'short', promptVersion: 'concise-v1', model: 'small', temperature: 0, maxTokens: 200 },
      { arm: 'kind', promptVersion: 'warm-v1', model: 'base-model', temperature: 1.1, maxTokens: 700 },
    ]);
  });

  it('refuses a bad override at startup, naming the zod path', () => {
    const env = (profiles: unknown) => ({ LOOPDESK_GENERATION_PROFILES: JSON.stringify(profiles) });
    const good = { arm: 'A', promptVersion: 'concise-v1', temperature: 0.2, maxTokens: 300 };
    expect(() => configFromEnv(env([good, { ...good, arm: 'B', temperature: 3 }]))).toThrow(/^LOOPDESK_GENERATION_PROFILES\[1\]\.temperature: /);
    expect(() => configFromEnv(env([good, { ...good, arm: 'B', promptVersion: 'v9' }]))).toThrow(/^LOOPDESK_GENERATION_PROFILES\[1\]\.promptVersion: /);
    expect(() => configFromEnv(env([good, { ...good, arm: 'B', topP: 1 }]))).toThrow(/^LOOPDESK_GENERATION_PROFILES\[1\]: .*topP/);
    expect(() => configFromEnv(env([good]))).toThrow(/^LOOPDESK_GENERATION_PROFILES/);
    expect(() => configFromEnv(env([good, good]))).toThrow(/^LOOPDESK_GENERATION_PROFILES\[1\]\.arm: the two profiles need different arms/);
    expect(() => configFromEnv({ LOOPDESK_GENERATION_PROFILES: '[{' })).toThrow(/^LOOPDESK_GENERATION_PROFILES: not valid JSON/);
    expect(() => configFromEnv({ LOOPDESK_LLM_BASE_URL: 'http://127.0.0.1:9/v1' })).toThrow(/^LOOPDESK_LLM_MODEL: required/);
    expect(() => configFromEnv({ LOOPDESK_LLM_BASE_URL: 'not a url' })).toThrow(/^LOOPDESK_LLM_BASE_URL: /);
    expect(() => configFromEnv({ LOOPDESK_LLM_TIMEOUT_MS: 'soon' })).toThrow(/^LOOPDESK_LLM_TIMEOUT_MS: /);
  });
});

describe('embeddings against an OpenAI-compatible server', () => {
  const texts = ['The thermostat will not join the wifi', 'Refunds go back to the original card', ''];
  let fake: FakeOpenAI;
  let base64Only: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ embeddingDim: 32 });
    // A server that answers base64 whatever it was asked.
    base64Only = await startFakeOpenAI({ embeddingDim: 32, forceEmbeddingEncoding: 'base64' });
  });
  afterAll(async () => {
    await fake?.close();
    await base64Only?.close();
  });

  it('gives the same vectors through the openai SDK as float and as base64', async () => {
    const client = new OpenAI({ baseURL: fake.url, apiKey: 'x', maxRetries: 0 });
    const asFloat = await client.embeddings.create({ model: 'e', input: texts, encoding_format: 'float' });
    // Without encoding_format the SDK asks for base64 and decodes little-endian float32 itself.
    const asBase64 = await client.embeddings.create({ model: 'e', input: texts });
    expect(fake.requests.map((r) => r.body.encoding_format)).toEqual(['float', 'base64']);
    const expected = texts.map((t) => fake.embeddingOf(t));
    expect(asFloat.data.map((d) => d.embedding)).toEqual(expected);
    expect(asBase64.data.map((d) => d.embedding)).toEqual(expected);
    expect(expected[0]!.some((x) => x !== 0)).toBe(true);
  });

  it('our embedder asks for float explicitly and returns vectors in input order', async () => {
    fake.requests.length = 0;
    const embedder = createEmbedder({ baseURL: fake.url, model: 'e' });
    expect(embedder.dim).toBeUndefined();
    const many = Array.from({ length: 300 }, (_, i) => `ticket number ${i} about wifi`);
    const vectors = await embedder.embed(many);
    expect(fake.requests.map((r) => [r.body.encoding_format, r.body.input.length])).toEqual([
      ['float', 256],
      ['float', 44],
    ]);
    expect(vectors).toEqual(many.map((t) => fake.embeddingOf(t)));
    expect(embedder.dim).toBe(32);
  });

  it('our embedder decodes base64 answers, asked for or not', async () => {
    const forced = createEmbedder({ baseURL: base64Only.url, model: 'e' });
    expect(await forced.embed(texts)).toEqual(texts.map((t) => base64Only.embeddingOf(t)));
    expect(base64Only.requests.at(-1)!.body.encoding_format).toBe('float');
    const asked = createEmbedder({ baseURL: fake.url, model: 'e', encodingFormat: 'base64' });
    expect(await asked.embed(texts)).toEqual(texts.map((t) => fake.embeddingOf(t)));
    expect(fake.requests.at(-1)!.body.encoding_format).toBe('base64');
  });

  it('decodes little-endian float32 and refuses a truncated vector', () => {
    const bytes = Buffer.alloc(12);
    [1.5, -2.25, 0.1].forEach((x, i) => bytes.writeFloatLE(x, i * 4));
    expect(decodeBase64Embedding(bytes.toString('base64'))).toEqual([1.5, -2.25, Math.fround(0.1)]);
    expect(() => decodeBase64Embedding(bytes.subarray(0, 10).toString('base64'))).toThrow(/whole number/);
  });

  it('reads LOOPDESK_EMBED_*, defaulting the endpoint and key to the chat model’s', () => {
    expect(embedderConfigFromEnv({ LOOPDESK_LLM_BASE_URL: 'http://127.0.0.1:9/v1' })).toBeNull();
    expect(
      embedderConfigFromEnv({ LOOPDESK_LLM_BASE_URL: 'http://127.0.0.1:9/v1', LOOPDESK_LLM_API_KEY: 'k', LOOPDESK_EMBED_MODEL: 'e5', LOOPDESK_EMBED_DIM: '384' }),
    ).toEqual({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k', model: 'e5', dim: 384, encodingFormat: undefined });
    expect(() => embedderConfigFromEnv({ LOOPDESK_EMBED_MODEL: 'e5' })).toThrow(/^LOOPDESK_EMBED_BASE_URL: /);
    expect(() => embedderConfigFromEnv({ LOOPDESK_EMBED_MODEL: 'e5', LOOPDESK_EMBED_BASE_URL: 'http://x/v1', LOOPDESK_EMBED_DIM: '-1' })).toThrow(
      /^LOOPDESK_EMBED_DIM: /,
    );
  });
});
