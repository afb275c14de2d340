/**
 * How much time Loopdesk adds on top of the model's own time to first token, when streaming.
 *
 *   npx tsx bench/llm-overhead.ts [runs]
 *
 * A fake OpenAI-compatible server (tests/support/fake-openai.ts) waits a fixed 300 ms before its
 * first token; a Loopdesk server on PGlite with the demo knowledge base streams `/v1/suggest` to an
 * HTTP client in this process. Per call it measures:
 *
 * - relay: the client's first `delta` minus the moment the fake wrote its first token (the earlier
 *   of the two candidates'): what our streaming path adds to a token on its way to the overlay.
 * - end to end: the client's time to first `delta` minus the fake's own time to first token (its
 *   first token minus its receipt of the request): relay plus everything before the model is called
 *   (auth, retrieval, prompt), which `beforeModelMs` shows on its own.
 *
 * Everything runs in one process on one event loop, so the numbers include contention a deployed
 * server would not have. Results go to bench/results/llm-overhead.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuggestStreamEvent, type SuggestRequest } from '../lib/contract';
import { readSse } from '../lib/sse';
import { loadDemoTickets } from '../demo/tickets';
import { PROJECT_ROOT } from '../server/config';
import { generationConfigFromEnv } from '../server/generation/profiles';
import { startServer } from '../server/serve';
import { startFakeOpenAI } from '../tests/support/fake-openai';

const RUNS = Number(process.argv[2] ?? 50);
const WARMUP = 3;
const FIRST_TOKEN_DELAY_MS = 300;
const TOKEN_DELAY_MS = 5;
const TARGET_MS = 50;
const OUT = join(PROJECT_ROOT, 'bench', 'results', 'llm-overhead.json');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Number(sorted[rank]!.toFixed(2));
}

function summary(values: number[]) {
  return { p50: percentile(values, 50), p95: percentile(values, 95), max: percentile(values, 100) };
}

const fake = await startFakeOpenAI({
  behaviour: {
    reply: 'Thanks for getting in touch. Hold the dial for five seconds until the ring blinks blue [1], then choose your network in the app [2].',
    firstTokenDelayMs: FIRST_TOKEN_DELAY_MS,
    tokenDelayMs: TOKEN_DELAY_MS,
  },
});
const dataDir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-llm-'));
const server = await startServer(
  {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    databaseUrl: undefined,
    generation: generationConfigFromEnv({ LOOPDESK_LLM_BASE_URL: fake.url, LOOPDESK_LLM_MODEL: 'fake-llm' }),
  },
  { demo: true },
);

const tickets: SuggestRequest[] = loadDemoTickets().map((t) => ({
  helpdesk: 'zendesk',
  ticketId: String(t.id),
  subject: t.subject,
  messages: t.comments.map((c) => ({ author: c.author, text: c.body })),
  tags: t.tags,
}));

interface Sample {
  relayMs: number;
  beforeModelMs: number;
  endToEndMs: number;
  clientTtftMs: number;
  upstreamTtftMs: number;
}

async function once(ticket: SuggestRequest): Promise<Sample> {
  const before = fake.requests.length;
  const sent = performance.now();
  const response = await fetch(`${server.url}/v1/suggest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.demoToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(ticket),
  });
  if (!response.ok || !response.body) throw new Error(`suggest answered ${response.status}`);
  let firstDeltaAt: number | undefined;
  for await (const message of readSse(response.body)) {
    const event = SuggestStreamEvent.parse(JSON.parse(message.data));
    if (event.type === 'delta') firstDeltaAt ??= performance.now();
    if (event.type === 'error') throw new Error(event.error);
  }
  const calls = fake.requests.slice(before);
  const first = calls.reduce((best, r) => (r.firstTokenAt !== undefined && r.firstTokenAt < (best?.firstTokenAt ?? Infinity) ? r : best), calls[0]);
  if (firstDeltaAt === undefined || first?.firstTokenAt === undefined) throw new Error('no tokens were streamed');
  const upstreamTtftMs = first.firstTokenAt - first.receivedAt;
  const clientTtftMs = firstDeltaAt - sent;
  const beforeModelMs = Math.min(...calls.map((r) => r.receivedAt)) - sent;
  return { relayMs: firstDeltaAt - first.firstTokenAt, beforeModelMs, endToEndMs: clientTtftMs - upstreamTtftMs, clientTtftMs, upstreamTtftMs };
}

try {
  // Warm-up calls open the keep-alive connections and compile the hot paths; they are not counted.
  for (let i = 0; i < WARMUP; i++) await once(tickets[i % tickets.length]!);
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await once(tickets[i % tickets.length]!));

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    runs: RUNS,
    warmup: WARMUP,
    firstTokenDelayMs: FIRST_TOKEN_DELAY_MS,
    tokenDelayMs: TOKEN_DELAY_MS,
    targetMs: TARGET_MS,
    relayOverheadMs: summary(samples.map((s) => s.relayMs)),
    endToEndOverheadMs: summary(samples.map((s) => s.endToEndMs)),
    beforeModelMs: summary(samples.map((s) => s.beforeModelMs)),
    clientTtftMs: summary(samples.map((s) => s.clientTtftMs)),
    upstreamTtftMs: summary(samples.map((s) => s.upstreamTtftMs)),
  };
  mkdirSync(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  const verdict = result.relayOverheadMs.p95 <= TARGET_MS ? 'within' : 'OVER';
  console.log(
    `llm-overhead: ${RUNS} streamed suggestions, relay p50 ${result.relayOverheadMs.p50} ms / p95 ${result.relayOverheadMs.p95} ms, ` +
      `end to end p50 ${result.endToEndOverheadMs.p50} ms / p95 ${result.endToEndOverheadMs.p95} ms of which before the model ` +
      `p50 ${result.beforeModelMs.p50} ms (relay ${verdict} the ${TARGET_MS} ms target) → ${OUT}`,
  );
} finally {
  await server.close();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
}
