import type { Context, MiddlewareHandler } from 'hono';

/**
 * Request body limits without buffering. A declared Content-Length over the limit is refused before
 * anything is read. A body sent without one (chunked, as the CLI streams KB imports) is passed on
 * as a stream that fails once it passes the limit; the route's read then fails, and whatever error
 * the route answered becomes the 413. (Hono's own bodyLimit reads a chunked body whole into memory
 * before the route runs, which for the 2 GiB import limit meant holding up to 2 GiB.) A KB import
 * that stored articles before the limit still answers its summary, with `fatal` saying reading
 * stopped, since those articles are stored.
 */
export function bodyLimit(limitFor: (path: string) => number): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const max = limitFor(c.req.path);
    const declared = raw.headers.get('content-length');
    if (declared !== null && !raw.headers.has('transfer-encoding')) {
      return Number(declared) > max ? tooLarge(c, max) : next();
    }
    let seen = 0;
    let exceeded = false;
    const counted = raw.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > max) {
            exceeded = true;
            controller.error(new Error(`request body is larger than ${max} bytes`));
          } else {
            controller.enqueue(chunk);
          }
        },
      }),
    );
    c.req.raw = new Request(raw, { body: counted, duplex: 'half' } as RequestInit);
    await next();
    if (exceeded && (c.res.status >= 500 || (c.res.status >= 400 && c.res.status !== 413))) {
      c.res = undefined as unknown as Response;
      c.res = tooLarge(c, max);
    }
  };
}

function tooLarge(c: Context, max: number): Response {
  return c.json({ error: `request body is larger than ${max} bytes` }, 413);
}
