import { formatPath } from '../../lib/contract';

/**
 * Text PostgreSQL cannot hold. `text` columns refuse U+0000 outright, and `jsonb` refuses both
 * U+0000 and UTF-16 surrogates without their partner (JSON.stringify writes them as `\ud800`
 * escapes, which PostgreSQL's JSON parser rejects). Both are valid in a JavaScript string and in the
 * zod contract, so without this check one such character made the whole request fail with a 500 — for
 * `/v1/events`, a batch the extension then retried forever. Found by the fuzz tests
 * (tests/server/fuzz.test.ts); the same rule runs on PGlite and PostgreSQL.
 */
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored, or null when it can. */
export function unstorableReason(text: string): string | null {
  if (NUL.test(text)) return 'contains U+0000 (a NUL character), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode), which cannot be stored';
  return null;
}

/**
 * JSON.stringify writes U+0000 and unpaired surrogates, and only those among what we refuse, as
 * `\u0000` and `\udxxx` escapes (paired surrogates stay raw), so one pass over the serialized
 * value rules out nearly every request before the walk below, which allocates a path per node. A
 * match can be a false alarm (an escaped backslash followed by `u0000`); the walk then decides.
 */
const ESCAPED_UNSTORABLE = /\\u0000|\\ud[89a-f]/i;
function mayHoldUnstorableText(value: unknown): boolean {
  try {
    return ESCAPED_UNSTORABLE.test(JSON.stringify(value) ?? '');
  } catch {
    return true; // not serializable (a cycle, a BigInt): let the walk look at it
  }
}

/**
 * The first string (or object key) in a parsed value that cannot be stored, as `path: reason` in the
 * same form as zod errors (`events[3].finalText: …`), or null when everything can be stored.
 * `prefix` is prepended to the path; an empty path names the value itself as `body`.
 */
export function findUnstorableText(value: unknown, prefix: (string | number)[] = []): string | null {
  if (!mayHoldUnstorableText(value)) return null;
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: prefix }];
  while (stack.length) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const reason = unstorableReason(current);
      if (reason) return `${formatPath(path) || 'body'}: ${reason}`;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const reason = unstorableReason(key);
        if (reason) return `${formatPath(path) || 'body'}: a key ${reason}`;
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return null;
}
