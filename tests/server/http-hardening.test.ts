import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoApp, DEMO_CSP } from '../../demo/routes';
import { loadDemoTickets } from '../../demo/tickets';
import { configFromEnv } from '../../server/config';
import { createApp } from '../../server/app';
import { extensionOriginsFromEnv } from '../../server/http/cors';
import type { LogLine } from '../../server/http/log';
import { parseRate, rateLimitsFromEnv, TokenBuckets } from '../../server/http/rate-limit';
import { API_CSP } from '../../server/http/security-headers';
import { sampleEvent } from '../support/events';
import { startTestServer, type TestServer } from '../support/server';

const EXTENSION = 'chrome-extension://nkijplgmibanljkegkjkejpfabaklpdd';
const FIREFOX = 'moz-extension://0b9d3c6e-2d5f-4a7e-9a55-0f2f4c1c8e11';
const SYSTEM = 'ldsys_hardening_test';
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let server: TestServer;
let logs: LogLine[];
let app: ReturnType<typeof createApp>;

const ticket = {
  helpdesk: 'zendesk',
  ticketId: '4242',
  subject: 'Refund please',
  messages: [{ author: 'customer', text: 'How do refunds work?' }],
  tags: [],
};

function call(path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}, target = app) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  return target.request(path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
}

beforeAll(async () => {
  server = await startTestServer('pglite');
  logs = [];
  app = createApp({
    database: server.database,
    systemToken: SYSTEM,
    http: {
      rateLimits: { all: parseRate('all', '8/min'), suggest: parseRate('suggest', '2/min'), events: null },
      extensionOrigins: extensionOriginsFromEnv(FIREFOX),
      metricsToken: METRICS_TOKEN,
      accessLog: true,
      log: (line) => logs.push(line),
    },
    mount: (root) => {
      root.route('/demo', createDemoApp({ tickets: loadDemoTickets(), assetsDir: '.output/demo' }));
      root.get('/boom', () => {
        throw new Error('kaboom');
      });
    },
  });
});
afterAll(async () => server?.close());

describe('rate limits', () => {
  it('answers 429 with Retry-After and a JSON error once a token used its budget; other tokens are unaffected', async () => {
    const a = await server.token('agent');
    const b = await server.token('agent');
    for (let i = 0; i < 8; i++) expect((await call('/v1/me', { token: a })).status).toBe(200);
    const limited = await call('/v1/me', { token: a });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    // 8 per minute refill one every 7.5 s: the next one is due in 8 s, rounded up to whole seconds.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(8);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(await limited.json()).toEqual({ error: `rate limit: at most 8/min requests per token; retry in ${retryAfter} s` });
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await call('/v1/me', { token: b })).status).toBe(200);
  });

  it('limits a costly route on its own without using up the token’s other requests', async () => {
    const token = await server.token('agent');
    expect((await call('/v1/suggest', { token, body: ticket })).status).toBe(200);
    expect((await call('/v1/suggest', { token, body: ticket })).status).toBe(200);
    const third = await call('/v1/suggest', { token, body: ticket });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await third.json()).error).toMatch(/^rate limit: at most 2\/min requests to POST \/v1\/suggest per token/);
    expect((await call('/v1/me', { token })).status).toBe(200);
  });

  it('limits enrollment, which takes no token, per address', async () => {
    const enroll = { enrollmentToken: 'lde_guess', helpdesk: 'zendesk', helpdeskIdentity: { agentId: '1', name: 'Guess' } };
    for (let i = 0; i < 8; i++) expect((await call('/v1/enroll', { body: enroll })).status).toBe(401);
    const limited = await call('/v1/enroll', { body: enroll });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error).toMatch(/^rate limit: at most 8\/min requests per address; retry in \d+ s$/);
  });

  it('exempts the local CLI’s system credential', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await call('/v1/admin/tokens', { token: SYSTEM, body: { tenant: 'acme', team: 'ops', role: 'agent', name: `cli-${i}` } });
      expect(res.status).toBe(200);
    }
  });

  it('refills: a token bucket lets the next request through after Retry-After', () => {
    let now = 0;
    const buckets = new TokenBuckets(() => now);
    const rate = parseRate('r', '2/s')!;
    expect(buckets.take('k', [{ name: 'all', rate }]).ok).toBe(true);
    expect(buckets.take('k', [{ name: 'all', rate }]).ok).toBe(true);
    const denied = buckets.take('k', [{ name: 'all', rate }]);
    expect(denied).toMatchObject({ ok: false, retryAfterMs: 500 });
    now += 499;
    expect(buckets.take('k', [{ name: 'all', rate }]).ok).toBe(false);
    now += 1;
    expect(buckets.take('k', [{ name: 'all', rate }]).ok).toBe(true);
    expect(buckets.take('other', [{ name: 'all', rate }]).ok).toBe(true);
    // Buckets idle for an hour are full again and dropped.
    now += 3_600_001 + 60_000;
    buckets.take('fresh', [{ name: 'all', rate }]);
    expect(buckets.size).toBe(1);
  });

  it('reads its limits from the environment and names a bad variable', () => {
    expect(rateLimitsFromEnv({})).toMatchObject({ all: { limit: 600, perMs: 60_000 }, suggest: { limit: 60 }, events: { limit: 120 } });
    expect(rateLimitsFromEnv({ LOOPDESK_RATE_LIMIT: 'off' })).toEqual({ all: null, suggest: null, events: null });
    expect(rateLimitsFromEnv({ LOOPDESK_RATE_LIMIT: '100/s', LOOPDESK_RATE_LIMIT_SUGGEST: '5000/hour' })).toMatchObject({
      all: { limit: 100, perMs: 1_000 },
      suggest: { limit: 5000, perMs: 3_600_000 },
    });
    expect(parseRate('x', '30/minutes')).toMatchObject({ limit: 30, perMs: 60_000 });
    expect(() => rateLimitsFromEnv({ LOOPDESK_RATE_LIMIT_EVENTS: 'lots' })).toThrow(/^LOOPDESK_RATE_LIMIT_EVENTS: /);
    expect(() => configFromEnv({ LOOPDESK_RATE_LIMIT: '10/fortnight' })).toThrow(/^LOOPDESK_RATE_LIMIT: /);
    expect(configFromEnv({}).http?.rateLimits?.all?.limit).toBe(600);
  });
});

describe('CORS', () => {
  it('answers the extension’s preflight without a token', async () => {
    const res = await app.request('/v1/events', {
      method: 'OPTIONS',
      headers: { origin: EXTENSION, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(EXTENSION);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/content-type/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('allows the configured extension origins and exposes Retry-After and X-Request-Id', async () => {
    const token = await server.token('agent');
    for (const origin of [EXTENSION, FIREFOX]) {
      const res = await call('/v1/me', { token, headers: { origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/retry-after/);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    }
  });

  it('gives other origins no CORS headers and refuses their preflight', async () => {
    const preflight = await app.request('/v1/events', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
    expect((await preflight.json()).error).toMatch(/^origin: https:\/\/evil\.example may not call/);
    for (const origin of ['https://evil.example', 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'null']) {
      const res = await app.request('/healthz', { headers: { origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
    // Requests without an Origin (the CLI, curl, same-origin GETs) are not CORS requests at all.
    expect((await app.request('/healthz')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reads extension origins from the environment', () => {
    expect(extensionOriginsFromEnv(undefined)).toEqual([EXTENSION]);
    expect(extensionOriginsFromEnv(`abcdefghijklmnopabcdefghijklmnop, ${FIREFOX}/`)).toEqual([
      EXTENSION,
      'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
      FIREFOX,
    ]);
    expect(() => extensionOriginsFromEnv('https://example.com')).toThrow(/^LOOPDESK_EXTENSION_ORIGINS: "https:\/\/example.com"/);
  });
});

describe('security headers', () => {
  it('sends a strict policy with every API answer, errors included', async () => {
    const token = await server.token('agent');
    for (const res of [await app.request('/healthz'), await call('/v1/me', { token }), await app.request('/nowhere'), await call('/v1/me')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toBe(API_CSP);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    expect((await call('/v1/me', { token })).headers.get('cache-control')).toBe('no-store');
    expect((await call('/v1/me')).headers.get('cache-control')).toBe('no-store');
  });

  it('keeps the demo helpdesk’s own page policy', async () => {
    const res = await app.request('/demo/agent/tickets/1001');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(DEMO_CSP);
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const api = await app.request('/demo/api/tickets/1001');
    expect(api.status).toBe(200);
    expect(api.headers.get('content-security-policy')).toBe(API_CSP);
  });

  it('adds them to streamed suggestions too', async () => {
    const token = await server.token('agent');
    const res = await call('/v1/suggest', { token, body: ticket, headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe(API_CSP);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.text()).toMatch(/event: done/);
  });
});

describe('request ids and the access log', () => {
  it('gives every request an id, echoes it, and writes one JSON line with it', async () => {
    const token = await server.token('agent');
    const tenantId = (await server.database.query<{ id: string }>("select id from tenants where slug = 'acme'"))[0]!.id;
    logs.length = 0;
    const res = await call('/v1/me', { token });
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = logs.filter((l) => l.requestId === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/v1/me', route: '/v1/me', status: 200, tenantId });
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(JSON.stringify(lines[0])).not.toContain(token);
  });

  it('keeps a well-formed incoming X-Request-Id and replaces anything else', async () => {
    const kept = await app.request('/healthz', { headers: { 'x-request-id': 'lb-7f3a:0001' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a:0001');
    for (const bad of ['has spaces in it', 'x'.repeat(129), '"><script>', 'semi;colon', '']) {
      const res = await app.request('/healthz', { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('never logs bodies, query strings or tokens', async () => {
    const token = await server.token('agent');
    logs.length = 0;
    await call('/v1/events?secret=swordfish', { token, body: { events: [sampleEvent('knowledge.missing', crypto.randomUUID(), { description: 'PRIVATE-TEXT' })] } });
    await call('/v1/me', { token: 'ld_not_a_real_token' });
    const text = JSON.stringify(logs);
    expect(logs).toHaveLength(2);
    expect(text).not.toContain('PRIVATE-TEXT');
    expect(text).not.toContain('swordfish');
    expect(text).not.toContain(token);
    expect(text).not.toContain('ld_not_a_real_token');
    expect(logs.map((l) => l.status)).toEqual([200, 401]);
  });

  it('logs an error with the request id of its request', async () => {
    logs.length = 0;
    const res = await app.request('/boom', { headers: { 'x-request-id': 'req-boom-1' } });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error' });
    expect(res.headers.get('x-request-id')).toBe('req-boom-1');
    const error = logs.find((l) => l.level === 'error');
    expect(error).toMatchObject({ msg: 'kaboom', requestId: 'req-boom-1', method: 'GET', path: '/boom' });
    expect(logs.find((l) => l.msg === 'request')).toMatchObject({ requestId: 'req-boom-1', status: 500 });
  });
});

describe('body limits', () => {
  const big = JSON.stringify({ events: ['x'.repeat(5 * 1024 * 1024)] });

  it('answers 413 JSON for a declared length over the limit, before authentication', async () => {
    const res = await app.request('/v1/events', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(big.length) }, body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: `request body is larger than ${5 * 1024 * 1024} bytes` });
  });

  it('answers 413 JSON for a streamed (chunked) body that passes the limit', async () => {
    const token = await server.token('agent');
    const bytes = new TextEncoder().encode(big);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 256 * 1024) controller.enqueue(bytes.subarray(i, i + 256 * 1024));
        controller.close();
      },
    });
    const res = await app.request('/v1/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/^request body is larger than/);
  });

  it('streams a chunked KB import into the database as it arrives, without buffering the upload first', async () => {
    const admin = await server.token('admin', { tenant: 'stream-co' });
    const line = (i: number) => `${JSON.stringify({ id: `s-${i}`, title: `Streamed ${i}`, body: `Body ${i}` })}\n`;
    const stored = async () =>
      (await server.database.query<{ n: number }>(
        "select count(*)::int as n from kb_articles a join tenants t on t.id = a.tenant_id where t.slug = 'stream-co'",
      ))[0]!.n;
    let storedBeforeEnd = 0;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        // One full batch of the importer (100 articles), then wait until it is stored before ending.
        for (let i = 0; i < 100; i++) controller.enqueue(encoder.encode(line(i)));
        const deadline = Date.now() + 10_000;
        while ((storedBeforeEnd = await stored()) < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        controller.enqueue(encoder.encode(line(100)));
        controller.close();
      },
    });
    const res = await app.request('/v1/admin/kb/import?format=jsonl', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: 101, skipped: [] });
    expect(storedBeforeEnd).toBe(100);
  });

  it('bounds bodies outside the API too (the demo helpdesk’s comments, 1 MiB)', async () => {
    const body = JSON.stringify({ body: 'y'.repeat(1024 * 1024) });
    const res = await app.request('/demo/api/tickets/1001/comments', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/larger than 1048576 bytes/);
  });
});

describe('/metrics', () => {
  it('is off without LOOPDESK_METRICS_TOKEN and needs that token as bearer', async () => {
    const plain = createApp({ database: server.database });
    const off = await plain.request('/metrics');
    expect(off.status).toBe(404);
    expect((await off.json()).error).toMatch(/LOOPDESK_METRICS_TOKEN/);
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await call('/metrics', { token: 'wrong-token-of-some-length' })).status).toBe(401);
    // Not even an admin token: these figures span every tenant.
    expect((await call('/metrics', { token: await server.token('admin') })).status).toBe(401);
    expect((await call('/metrics', { token: SYSTEM })).status).toBe(401);
  });

  it('counts requests by route and status class, durations, events, suggestions, 429s and memory', async () => {
    const metricsApp = createApp({
      database: server.database,
      http: { metricsToken: METRICS_TOKEN, rateLimits: { all: parseRate('all', '3/min'), suggest: null, events: null } },
    });
    const token = await server.token('agent');
    const suggestionId = crypto.randomUUID();
    const event = sampleEvent('knowledge.missing', suggestionId);
    await call('/v1/events', { token, body: { events: [event, event, { ...event, id: 'nope' }] } }, metricsApp);
    await call('/v1/suggest', { token, body: ticket }, metricsApp);
    await call('/v1/me', { token }, metricsApp);
    await call('/v1/me', { token }, metricsApp); // the 4th request of the token: 429
    await call(`/no/such/${crypto.randomUUID()}`, {}, metricsApp);
    await call('/v1/kb/articles/some%2Fid', { method: 'DELETE', token: 'ld_unknown' }, metricsApp);
    const res = await call('/metrics', { token: METRICS_TOKEN }, metricsApp);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const sample = (line: string) => {
      const found = text.split('\n').find((l) => l.startsWith(`${line} `));
      return found === undefined ? undefined : Number(found.slice(line.length + 1));
    };
    expect(sample('loopdesk_http_requests_total{method="POST",route="/v1/events",status="2xx"}')).toBe(1);
    expect(sample('loopdesk_http_requests_total{method="GET",route="/v1/me",status="2xx"}')).toBe(1);
    expect(sample('loopdesk_http_requests_total{method="GET",route="/v1/me",status="4xx"}')).toBe(1);
    expect(sample('loopdesk_http_requests_total{method="GET",route="unmatched",status="4xx"}')).toBe(1);
    expect(sample('loopdesk_http_requests_total{method="DELETE",route="/v1/kb/articles/:id{.+}",status="4xx"}')).toBe(1);
    expect(sample('loopdesk_events_ingested_total{status="accepted"}')).toBe(1);
    expect(sample('loopdesk_events_ingested_total{status="duplicate"}')).toBe(1);
    expect(sample('loopdesk_events_ingested_total{status="rejected"}')).toBe(1);
    expect(sample('loopdesk_suggestions_served_total{mode="json"}')).toBe(1);
    expect(sample('loopdesk_suggestions_served_total{mode="stream"}')).toBe(0);
    expect(sample('loopdesk_rate_limited_total{limit="all"}')).toBe(1);
    expect(sample('loopdesk_http_request_duration_seconds_count{method="POST",route="/v1/suggest"}')).toBe(1);
    expect(sample('loopdesk_http_request_duration_seconds_bucket{method="POST",route="/v1/suggest",le="+Inf"}')).toBe(1);
    expect(sample('process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(sample('nodejs_heap_size_used_bytes')).toBeGreaterThan(1_000_000);
    // The exposition format, line by line: comments, or a name, optional labels and a number.
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="(?:[^"\\\n]|\\.)*"(,[a-z_]+="(?:[^"\\\n]|\\.)*")*\})? (-?\d+(\.\d+)?(e[+-]?\d+)?|\+Inf|NaN))$/);
    }
    // Buckets are cumulative.
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith('loopdesk_http_request_duration_seconds_bucket{method="POST",route="/v1/suggest"'))
      .map((l) => Number(l.split(' ').at(-1)));
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  });
});
