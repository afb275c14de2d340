import { createHash } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthEnv, Principal } from '../auth';
import type { Metrics } from './metrics';

/** `limit` requests per `perMs`, refilled continuously (a token bucket holding at most `limit`). */
export interface Rate {
  limit: number;
  perMs: number;
  /** As configured, for messages: `600/min`. */
  text: string;
}

/**
 * Per-token limits. Every `/v1` request of a token counts against `all`; a request to a costly route
 * counts against that route's limit too. `null` turns a limit off.
 */
export interface RateLimits {
  all: Rate | null;
  /** `POST /v1/suggest`: each may cost two language-model calls. */
  suggest: Rate | null;
  /** `POST /v1/events`: up to 1,000 events each. */
  events: Rate | null;
}

const UNITS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};

/** `600/min`, `10/s`, `5000/hour`; `off` (or `0`) for no limit. Throws naming the variable. */
export function parseRate(name: string, value: string): Rate | null {
  const text = value.trim().toLowerCase();
  if (text === 'off' || text === '0') return null;
  const match = /^(\d+)\s*\/\s*([a-z]+?)s?$/.exec(text);
  const perMs = match ? UNITS[match[2]!] : undefined;
  const limit = match ? Number(match[1]) : NaN;
  if (!match || !perMs || !Number.isSafeInteger(limit) || limit < 1) {
    throw new Error(`${name}: expected requests per time like "600/min", "10/s" or "5000/hour", or "off"; got "${value}"`);
  }
  return { limit, perMs, text: `${limit}/${match[2]}` };
}

/**
 * Defaults for `loopdesk serve`. The extension sends one suggestion request per ticket opened and
 * syncs events in batches of up to 500 (debounced after writes, every minute, when back online), so
 * an agent stays far below these; a backlog of 60,000 queued events still drains in one minute.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  all: { limit: 600, perMs: 60_000, text: '600/min' },
  suggest: { limit: 60, perMs: 60_000, text: '60/min' },
  events: { limit: 120, perMs: 60_000, text: '120/min' },
};

export function rateLimitsFromEnv(env: NodeJS.ProcessEnv): RateLimits {
  const read = (name: string, fallback: Rate | null) => (env[name] ? parseRate(name, env[name]!) : fallback);
  const all = read('LOOPDESK_RATE_LIMIT', DEFAULT_RATE_LIMITS.all);
  // LOOPDESK_RATE_LIMIT=off turns every limit off unless a route's own is set.
  const off = env.LOOPDESK_RATE_LIMIT !== undefined && all === null;
  return {
    all,
    suggest: read('LOOPDESK_RATE_LIMIT_SUGGEST', off ? null : DEFAULT_RATE_LIMITS.suggest),
    events: read('LOOPDESK_RATE_LIMIT_EVENTS', off ? null : DEFAULT_RATE_LIMITS.events),
  };
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets in this process's memory, keyed by a hash of the token (never the token itself).
 * Behind several replicas each holds its own, so a token's effective limit is the sum over replicas
 * it reaches. Only authenticated tokens get a bucket, and buckets idle for an hour (full again under
 * any limit) are dropped, so memory follows the tokens in use.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes one token from each of `limits` (all or none). When one is empty, answers how long until
   * every one of them has a token again, and which ran out.
   */
  take(key: string, limits: { name: string; rate: Rate }[]): { ok: true } | { ok: false; retryAfterMs: number; limit: { name: string; rate: Rate } } {
    const now = this.now();
    this.sweep(now);
    const levels = limits.map(({ name, rate }) => {
      const bucket = this.buckets.get(`${name}:${key}`);
      const tokens = bucket ? Math.min(rate.limit, bucket.tokens + ((now - bucket.updated) * rate.limit) / rate.perMs) : rate.limit;
      return { name, rate, tokens };
    });
    let worst: { wait: number; name: string; rate: Rate } | null = null;
    for (const { name, rate, tokens } of levels) {
      if (tokens >= 1) continue;
      const wait = ((1 - tokens) * rate.perMs) / rate.limit;
      if (!worst || wait > worst.wait) worst = { wait, name, rate };
    }
    if (worst) return { ok: false, retryAfterMs: worst.wait, limit: { name: worst.name, rate: worst.rate } };
    for (const { name, tokens } of levels) this.buckets.set(`${name}:${key}`, { tokens: tokens - 1, updated: now });
    return { ok: true };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    // A bucket untouched for an hour is full under any limit of at least one request per hour.
    for (const [key, bucket] of this.buckets) if (now - bucket.updated > 3_600_000) this.buckets.delete(key);
  }
}

/** The peer's address; "unknown" outside a Node server (tests calling the app directly). */
function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The route limit a request counts against besides `all`, if any. */
function routeLimit(method: string, path: string, limits: RateLimits): { name: string; rate: Rate } | null {
  if (method !== 'POST') return null;
  if (path === '/v1/suggest' && limits.suggest) return { name: 'suggest', rate: limits.suggest };
  if (path === '/v1/events' && limits.events) return { name: 'events', rate: limits.events };
  return null;
}

/**
 * Runs after `authenticate`: 429 with `Retry-After` (whole seconds, rounded up) and a JSON error
 * when the caller's token has used its budget. The local CLI's system credential is exempt: it is
 * the operator, already holding the database.
 */
export function rateLimit(limits: RateLimits, metrics: Metrics, buckets = new TokenBuckets()): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    // Unset on the routes that take no token (enrollment).
    const principal = c.get('principal') as Principal | undefined;
    if (principal?.kind === 'system') return next();
    const applicable: { name: string; rate: Rate }[] = [];
    if (limits.all) applicable.push({ name: 'all', rate: limits.all });
    const route = routeLimit(c.req.method, c.req.path, limits);
    if (route) applicable.push(route);
    if (applicable.length === 0) return next();
    // A caller without a token (enrollment) is counted by its address instead.
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const key = !principal ? `address:${remoteAddress(c)}` : createHash('sha256').update(token).digest('base64url');
    const verdict = buckets.take(key, applicable);
    if (verdict.ok) return next();
    metrics.rateLimited.inc({ limit: verdict.limit.name });
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    const what = verdict.limit.name === 'all' ? 'requests' : `requests to ${c.req.method} ${c.req.path}`;
    return c.json(
      { error: `rate limit: at most ${verdict.limit.rate.text} ${what} per ${principal ? 'token' : 'address'}; retry in ${seconds} s` },
      429,
      { 'Retry-After': String(seconds) },
    );
  };
}
