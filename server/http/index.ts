import type { Context, Hono } from 'hono';
import { bodyLimit } from './body-limit';
import { cors, DEFAULT_EXTENSION_ORIGINS, extensionOriginsFromEnv } from './cors';
import { jsonLogger, type Logger } from './log';
import { Metrics } from './metrics';
import { rateLimit, rateLimitsFromEnv, type RateLimits } from './rate-limit';
import { observeRequests, requestIdOf } from './request-log';
import { securityHeaders } from './security-headers';

export { metricsHandler, Metrics } from './metrics';
export type { Logger, LogLine } from './log';
export type { RateLimits, Rate } from './rate-limit';

/**
 * The HTTP hardening of the server. `loopdesk serve` reads it from the environment
 * (`httpOptionsFromEnv`); an app created without it — tests, benchmarks — has no rate limits and no
 * access log, and everything else (request ids, CORS, security headers, body limits) as usual.
 */
export interface HttpOptions {
  /** Per-token limits; absent or null: none. */
  rateLimits?: RateLimits | null;
  /** Origins allowed by CORS; the development extension's by default. */
  extensionOrigins?: readonly string[];
  /** Bearer token `/metrics` requires; absent: `/metrics` is off. */
  metricsToken?: string;
  /** One JSON line per request; off by default. */
  accessLog?: boolean;
  /** Where log lines go; JSON lines on stdout and stderr by default. */
  log?: Logger;
}

function flag(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(1|true|on|yes)$/i.test(value)) return true;
  if (/^(0|false|off|no)$/i.test(value)) return false;
  throw new Error(`${name}: expected "on" or "off", got "${value}"`);
}

/** The variables documented in the README; a bad value throws naming its variable. */
export function httpOptionsFromEnv(env: NodeJS.ProcessEnv): HttpOptions {
  const metricsToken = env.LOOPDESK_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && !/^\S{16,}$/.test(metricsToken)) {
    throw new Error('LOOPDESK_METRICS_TOKEN: use at least 16 characters and no spaces');
  }
  return {
    rateLimits: rateLimitsFromEnv(env),
    extensionOrigins: extensionOriginsFromEnv(env.LOOPDESK_EXTENSION_ORIGINS),
    metricsToken,
    accessLog: flag('LOOPDESK_ACCESS_LOG', env.LOOPDESK_ACCESS_LOG, true),
  };
}

export interface Http {
  metrics: Metrics;
  log: Logger;
  /** For the API after `authenticate`: 429 once a token used its budget. */
  rateLimit: ReturnType<typeof rateLimit>;
  /** Logs an error of the request `c` with its request id, method and path (never its body). */
  logError(c: Context, err: unknown): void;
}

/**
 * Installs the middleware every response goes through, outermost first: request id, metrics and
 * access log; security headers; CORS; body limits (`limitFor` gives each path's limit in bytes).
 */
export function installHttp(app: Hono, options: HttpOptions, limitFor: (path: string) => number): Http {
  const metrics = new Metrics();
  const log = options.log ?? jsonLogger;
  app.use(observeRequests({ log, accessLog: options.accessLog ?? false, metrics }) as never);
  app.use(securityHeaders());
  app.use(cors(options.extensionOrigins ?? DEFAULT_EXTENSION_ORIGINS));
  app.use(bodyLimit(limitFor));
  const rateLimits = options.rateLimits ?? null;
  return {
    metrics,
    log,
    rateLimit: rateLimits ? rateLimit(rateLimits, metrics) : (async (_c, next) => next()) as ReturnType<typeof rateLimit>,
    logError(c, err) {
      const error = err instanceof Error ? err : new Error(String(err));
      log({ level: 'error', msg: error.message, requestId: requestIdOf(c), method: c.req.method, path: c.req.path, stack: error.stack });
    },
  };
}
