import type { MiddlewareHandler } from 'hono';
import { setResponseHeader } from './headers';

/**
 * For answers that are data, not pages (JSON, SSE, metrics, errors): nothing in them may load,
 * run or be framed, should a browser ever render one.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** For an HTML page that sets no policy of its own: no framing, and nothing else restricted. */
export const PAGE_CSP = "frame-ancestors 'none'";

/**
 * Headers on every response. A route's own headers win: the demo helpdesk sends its pages with the
 * CSP of a real helpdesk (`demo/routes.ts`), which frames itself and loads its own scripts, so a
 * response that already has a Content-Security-Policy keeps it and gets no X-Frame-Options either.
 * Strict-Transport-Security is left to the TLS-terminating proxy: this server speaks plain HTTP.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    setResponseHeader(c, 'X-Content-Type-Options', 'nosniff');
    setResponseHeader(c, 'Referrer-Policy', 'no-referrer', { ifAbsent: true });
    if (!c.res.headers.has('Content-Security-Policy')) {
      const html = /^text\/html\b/i.test(c.res.headers.get('content-type') ?? '');
      setResponseHeader(c, 'Content-Security-Policy', html ? PAGE_CSP : API_CSP);
      setResponseHeader(c, 'X-Frame-Options', 'DENY', { ifAbsent: true });
    }
    // API answers are per token and per moment: no cache, shared or private, may keep them.
    if (c.req.path.startsWith('/v1/') || c.req.path === '/metrics') setResponseHeader(c, 'Cache-Control', 'no-store', { ifAbsent: true });
  };
}
