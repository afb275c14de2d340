import type { Context } from 'hono';
import type { z } from 'zod';
import { describeIssues } from '../../lib/contract';
import { findUnstorableText } from './storable';

/**
 * Parses a JSON body against a schema; a 400 names the zod path of every problem (`body` for the
 * body as a whole), or of text the database cannot hold (U+0000, unpaired surrogates). With
 * `whenEmpty`, a request with no body at all is read as that value (an action whose options are
 * all optional); otherwise an empty body is not valid JSON.
 */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  { checkText = true, whenEmpty }: { checkText?: boolean; whenEmpty?: unknown } = {},
): Promise<{ ok: true; data: z.infer<S> } | { ok: false; response: Response }> {
  let body: unknown;
  try {
    const text = await c.req.text();
    body = whenEmpty !== undefined && !text.trim() ? whenEmpty : JSON.parse(text);
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
