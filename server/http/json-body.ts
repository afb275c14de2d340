import type { Context } from 'hono';
import type { z } from 'zod';
import { describeIssues } from '../../lib/contract';
import { findUnstorableText } from './storable';

/**
 * Parses a JSON body against a schema; a 400 names the zod path of every problem (`body` for the
 * body as a whole), or of text the database cannot hold (U+0000, unpaired surrogates).
 */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  { checkText = true }: { checkText?: boolean } = {},
): Promise<{ ok: true; data: z.infer<S> } | { ok: false; response: Response }> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return { ok: false, response: c.json({ error: 'request body is not valid JSON' }, 400) };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const error = parsed.error.issues.some((issue) => issue.path.length === 0)
      ? describeIssues(parsed.error, ['body'])
      : describeIssues(parsed.error);
    return { ok: false, response: c.json({ error }, 400) };
  }
  const unstorable = checkText ? findUnstorableText(parsed.data) : null;
  if (unstorable) return { ok: false, response: c.json({ error: unstorable }, 400) };
  return { ok: true, data: parsed.data };
}
