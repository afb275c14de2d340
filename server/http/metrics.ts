import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { EventResult } from '../../lib/contract';

/**
 * Prometheus metrics in the text exposition format (version 0.0.4), written here rather than with a
 * client library: a few counters and one histogram are all the server needs.
 */

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Keyed by the label values in the metric's label order, so equal label sets share one series. */
function seriesKey(names: readonly string[], labels: Labels): string {
  return JSON.stringify(names.map((n) => labels[n] ?? ''));
}

class Counter {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = seriesKey(this.labelNames, labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { labels: this.pick(labels), value: by });
  }

  get(labels: Labels = {}): number {
    return this.series.get(seriesKey(this.labelNames, labels))?.value ?? 0;
  }

  private pick(labels: Labels): Labels {
    return Object.fromEntries(this.labelNames.map((n) => [n, labels[n] ?? '']));
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.series.values()) lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = seriesKey(this.labelNames, labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: Object.fromEntries(this.labelNames.map((n) => [n, labels[n] ?? ''])), counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      // Counts are kept per bucket already cumulative: a value is counted in every bucket it fits.
      this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket${labelText(labels, ['le', formatNumber(le)])} ${counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

function gauge(name: string, help: string, value: number): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${formatNumber(value)}`].join('\n');
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const PROCESS_START_SECONDS = Math.round((Date.now() - performance.now()) / 1000);

/** One registry per app, so that tests (and several apps in one process) never share counts. */
export class Metrics {
  readonly requests = new Counter('loopdesk_http_requests_total', 'HTTP requests answered, by route pattern and status class.', [
    'method',
    'route',
    'status',
  ]);
  readonly duration = new Histogram(
    'loopdesk_http_request_duration_seconds',
    'Time from receiving a request to sending its response headers (for a stream, its first bytes).',
    ['method', 'route'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly events = new Counter('loopdesk_events_ingested_total', 'Annotation events received on /v1/events, by result.', ['status']);
  readonly suggestions = new Counter('loopdesk_suggestions_served_total', 'Suggestions stored and answered, as one JSON answer or as a stream.', [
    'mode',
  ]);
  readonly rateLimited = new Counter('loopdesk_rate_limited_total', 'Requests answered 429, by the limit they ran into.', ['limit']);

  constructor() {
    // Series that exist from the start, so that rate() works from the first scrape.
    for (const status of ['accepted', 'duplicate', 'rejected']) this.events.inc({ status }, 0);
    for (const mode of ['json', 'stream']) this.suggestions.inc({ mode }, 0);
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    this.requests.inc({ method: m, route, status: `${Math.floor(status / 100)}xx` });
    this.duration.observe({ method: m, route }, seconds);
  }

  countEvents(results: readonly EventResult[]): void {
    const by = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const r of results) by[r.status]++;
    for (const [status, n] of Object.entries(by)) if (n) this.events.inc({ status }, n);
  }

  countSuggestion(mode: 'json' | 'stream'): void {
    this.suggestions.inc({ mode });
  }

  render(): string {
    const memory = process.memoryUsage();
    return `${[
      this.requests.render(),
      this.duration.render(),
      this.events.render(),
      this.suggestions.render(),
      this.rateLimited.render(),
      gauge('process_resident_memory_bytes', 'Resident set size of the server process.', memory.rss),
      gauge('nodejs_heap_size_used_bytes', 'V8 heap in use.', memory.heapUsed),
      gauge('nodejs_heap_size_total_bytes', 'V8 heap allocated.', memory.heapTotal),
      gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects.', memory.external),
      gauge('nodejs_array_buffers_bytes', 'Memory of ArrayBuffers and SharedArrayBuffers (request and response bodies among them).', memory.arrayBuffers),
      gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', PROCESS_START_SECONDS),
    ].join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics`. Protection: a separate bearer token, `LOOPDESK_METRICS_TOKEN`, which is what a
 * Prometheus scrape job sends (`authorization: {credentials: …}`); without it configured the endpoint
 * is off (404). Not the admin role, because admin tokens belong to one tenant while these figures are
 * the whole process's, across tenants; not "localhost only", because behind a reverse proxy on the
 * same host every request comes from localhost. The comparison takes constant time.
 */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
  const expected = token ? createHash('sha256').update(token).digest() : null;
  return (c: Context) => {
    if (!expected) {
      return c.json({ error: 'metrics are off: set LOOPDESK_METRICS_TOKEN and scrape /metrics with it as the bearer token' }, 404);
    }
    const given = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.json({ error: 'metrics need the LOOPDESK_METRICS_TOKEN bearer token' }, 401);
    }
    return c.body(metrics.render(), 200, { 'content-type': METRICS_CONTENT_TYPE });
  };
}
