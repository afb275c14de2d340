import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Principal } from '../auth';
import { setResponseHeader } from './headers';
import type { Logger } from './log';
import type { Metrics } from './metrics';

export type RequestEnv = { Variables: { requestId: string; principal?: Principal } };

/** An incoming X-Request-Id is kept when it looks like an id (a proxy's or the caller's), not arbitrary text. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The request id of a request that went through `observeRequests` (for error lines). */
export function requestIdOf(c: Context): string | undefined {
  return (c.get as (key: string) => unknown)('requestId') as string | undefined;
}

/**
 * The route pattern that answered (`/v1/kb/articles/:id{.+}`), which keeps metrics' label values
 * few whatever paths are requested; `unmatched` when no route did (404s, preflights).
 */
export function routeOf(c: Context): string {
  try {
    const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
    return routes.at(-1)?.path ?? 'unmatched';
  } catch {
    return 'unmatched';
  }
}

/**
 * First middleware of the app. Gives every request an id (the caller's X-Request-Id when well
 * formed, else a new UUID), echoes it in the response's X-Request-Id, records the request in the
 * metrics, and writes one access-log line: method, path (without the query), route, status,
 * duration, tenant when known, request id. Bodies, query strings and credentials are never logged.
 * Streamed answers (SSE) are logged and timed when their headers go out.
 */
export function observeRequests(options: { log: Logger; accessLog: boolean; metrics: Metrics }): MiddlewareHandler<RequestEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    await next();
    setResponseHeader(c, 'X-Request-Id', requestId);
    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c);
    options.metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    if (!options.accessLog) return;
    const principal = c.get('principal');
    options.log({
      level: 'info',
      msg: 'request',
      requestId,
      method: c.req.method,
      path: c.req.path.length > 512 ? `${c.req.path.slice(0, 512)}…` : c.req.path,
      route,
      status: c.res.status,
      durationMs: Math.round(seconds * 100_000) / 100,
      ...(principal?.kind === 'token' ? { tenantId: principal.tenantId } : principal?.kind === 'system' ? { principal: 'system' } : {}),
    });
  };
}
