import { createHash } from 'node:crypto';
import type { Context } from 'hono';

/** A strong ETag over a JSON value's serialization: equal content, equal tag. */
export function jsonETag(value: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 27)}"`;
}

/** `If-None-Match` matches when it lists this ETag or is `*` (weak comparison, as RFC 9110 asks for it). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/**
 * Answers a small resource the extension polls: 304 when the caller already has this version,
 * the JSON otherwise, with its ETag either way. `no-cache` makes caches ask again each time.
 */
export function conditionalJson(c: Context, value: unknown): Response {
  const etag = jsonETag(value);
  const headers = { etag, 'cache-control': 'private, no-cache' };
  if (etagMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  return c.json(value, 200, headers);
}
