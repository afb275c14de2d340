import type { MiddlewareHandler } from 'hono';
import { setResponseHeader } from './headers';

/** The id `wxt.config.ts` pins for unpacked and policy-installed builds (its manifest `key`). */
export const DEV_EXTENSION_ID = 'nkijplgmibanljkegkjkejpfabaklpdd';
export const DEFAULT_EXTENSION_ORIGINS: readonly string[] = [`chrome-extension://${DEV_EXTENSION_ID}`];

const EXTENSION_ORIGIN = /^(chrome-extension|moz-extension|safari-web-extension):\/\/[a-z0-9.-]+$/;
const CHROME_ID = /^[a-p]{32}$/;

/**
 * `LOOPDESK_EXTENSION_ORIGINS`: origins added to the default, separated by commas or spaces. A bare
 * Chrome or Edge id (32 letters a–p) means `chrome-extension://<id>`; Firefox gives each install its
 * own `moz-extension://<uuid>`, shown on `about:debugging`. Throws naming the variable.
 */
export function extensionOriginsFromEnv(value: string | undefined): string[] {
  const origins = new Set(DEFAULT_EXTENSION_ORIGINS);
  for (const raw of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    const item = raw.toLowerCase().replace(/\/+$/, '');
    const origin = CHROME_ID.test(item) ? `chrome-extension://${item}` : item;
    if (!EXTENSION_ORIGIN.test(origin)) {
      throw new Error(
        `LOOPDESK_EXTENSION_ORIGINS: "${raw}" is not an extension origin (chrome-extension://<id>, moz-extension://<uuid>, safari-web-extension://<id>) or a Chrome extension id`,
      );
    }
    origins.add(origin);
  }
  return [...origins];
}

const ALLOWED_METHODS = 'GET, POST, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type, accept, last-event-id, x-request-id';
/** What the extension may read besides the CORS-safelisted headers: its sync honours Retry-After. */
const EXPOSED_HEADERS = 'retry-after, x-request-id';

/**
 * CORS for the extension's origins only. The extension's background worker is the only client that
 * calls this API from a browser (content scripts message it; the demo helpdesk is same-origin), and
 * with its host permissions Chrome does not even require these headers of it; they matter for
 * browsers and setups that do. A preflight from an allowed origin is answered here (it carries no
 * token, so it must not reach authentication); one from any other origin gets 403 and no CORS
 * headers, and so do that origin's other requests (the browser then withholds the answer).
 */
export function cors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (!origin) return next();
    const ok = allowed.has(origin.toLowerCase());
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
      if (!ok) return c.json({ error: `origin: ${origin.slice(0, 200)} may not call this server (see LOOPDESK_EXTENSION_ORIGINS)` }, 403, { Vary: vary });
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': ALLOWED_METHODS,
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
        Vary: vary,
      });
    }
    await next();
    setResponseHeader(c, 'Vary', 'Origin', { append: true });
    if (ok) {
      setResponseHeader(c, 'Access-Control-Allow-Origin', origin);
      setResponseHeader(c, 'Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
  };
}
