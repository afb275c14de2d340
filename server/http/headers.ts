import type { Context } from 'hono';

/**
 * Sets a header on the context's response after the handler ran. A response whose headers are
 * immutable (one passed through from `fetch`) is replaced by a copy first. `append` adds to a
 * comma-separated list (Vary) unless the value is there already; `ifAbsent` keeps the route's own.
 */
export function setResponseHeader(c: Context, name: string, value: string, opts: { append?: boolean; ifAbsent?: boolean } = {}): void {
  const current = c.res.headers.get(name);
  if (opts.ifAbsent && current !== null) return;
  let next = value;
  if (opts.append && current) {
    const present = current.split(',').map((v) => v.trim().toLowerCase());
    if (present.includes(value.toLowerCase())) return;
    next = `${current}, ${value}`;
  }
  try {
    c.res.headers.set(name, next);
  } catch {
    const copy = new Response(c.res.body, c.res);
    copy.headers.set(name, next);
    // Cleared first: Hono's setter would otherwise copy the old headers over the new ones.
    c.res = undefined as unknown as Response;
    c.res = copy;
  }
}
