import { opendir, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { basename, join, relative, sep } from 'node:path';
import type { z } from 'zod';
import { describeIssues, KbArticleInput } from '../../../lib/contract';
import { findUnstorableText } from '../../http/storable';

/**
 * One record of an import source, in input order. Every format reader yields these, so the importer
 * treats JSONL, Zendesk exports and Markdown folders alike and never needs a whole file at once.
 */
export interface KbRecord {
  /** Where the record is in the input, for people: `line 12`, `page 3 article 17`, `faq/refunds.md`. */
  position: string;
  /** The JSONL line number, kept so Contract v1 summaries still carry `line` for JSONL input. */
  line?: number;
  /** A valid article, ready to store. */
  article?: KbArticleInput;
  /** Why the record is skipped (malformed, or a Zendesk draft). */
  error?: string;
  /**
   * The id of a skipped record when it could still be read: `--prune` keeps that article rather than
   * deleting it because of a typo elsewhere in the record.
   */
  id?: string;
  /** The input could not be read past this point; nothing after it was seen, so nothing is pruned. */
  fatal?: boolean;
}

/** Lets the CLI show progress in bytes of input, which is known before any record is parsed. */
export interface ReadOptions {
  /** Called once, before reading, with the size of everything that will be read. */
  onTotal?(bytes: number): void;
  /** Called as input is read, with the bytes read since the last call. */
  onBytes?(bytes: number): void;
}

/**
 * A record for `value` at `position`: the article when it is a valid one, else the zod problems,
 * each naming its field (`article` when the value is no object at all). An article with text the
 * database cannot hold (U+0000, unpaired surrogates) is skipped naming the field too: storing it
 * failed the import's transaction, which over HTTP was a 500 (found by tests/server/fuzz.test.ts).
 */
export function articleRecord(position: string, value: unknown, extra: Pick<KbRecord, 'line'> = {}): KbRecord {
  const parsed = KbArticleInput.safeParse(value);
  if (!parsed.success) return { position, ...extra, error: describeNamed(parsed.error, 'article'), ...idOf(value) };
  const unstorable = findUnstorableText(parsed.data);
  if (unstorable) return { position, ...extra, error: unstorable, ...idOf(value) };
  return { position, ...extra, article: parsed.data };
}

/** zod problems as `path: message`; a problem with the value as a whole is put under `whole`. */
export function describeNamed(error: z.ZodError, whole: string): string {
  return error.issues.some((issue) => issue.path.length === 0) ? describeIssues(error, [whole]) : describeIssues(error);
}

/** The id of a record that failed validation, when it has a usable one. */
export function idOf(value: unknown): { id?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const id = (value as { id?: unknown }).id;
  if (typeof id === 'string' && id.trim()) return { id: id.trim() };
  if (typeof id === 'number' && Number.isFinite(id)) return { id: String(id) };
  return {};
}

export interface InputFile {
  path: string;
  /** Relative to the folder given, with `/` separators on every platform (it becomes ids and positions). */
  rel: string;
  size: number;
}

/**
 * The files under `root` whose names end in one of `extensions`, sorted by relative path so that
 * positions and import order are the same on every machine. A file given directly is returned alone.
 * Only names and sizes are held, never contents.
 */
export async function listInputFiles(
  root: string,
  extensions: readonly string[],
  { recursive }: { recursive: boolean },
): Promise<InputFile[]> {
  const info = await stat(root);
  if (!info.isDirectory()) return [{ path: root, rel: basename(root), size: info.size }];
  const files: InputFile[] = [];
  const visit = async (dir: string): Promise<void> => {
    for await (const entry of await opendir(dir)) {
      const path = join(dir, entry.name);
      // Hidden entries are editor and VCS litter (.git, .DS_Store), never articles.
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) {
        if (recursive) await visit(path);
      } else if (entry.isFile() && extensions.some((ext) => entry.name.toLowerCase().endsWith(ext))) {
        files.push({ path, rel: relative(root, path).split(sep).join('/'), size: (await stat(path)).size });
      }
    }
  };
  await visit(root);
  return files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * The non-blank lines of a stream parsed as JSON, numbered from 1; a line that is not JSON comes back
 * with its parse error instead of stopping the read. Lines end at LF, CRLF or CR only. (Node's
 * readline, used before, also ends lines at U+2028 and U+2029, which JSON.stringify leaves unescaped
 * inside strings: an article whose text held one was cut in two broken lines. Found by the fuzz
 * tests.) A byte order mark at the start of the input is not part of the first line.
 */
export async function* jsonLines(input: Readable): AsyncGenerator<{ n: number; value: unknown } | { n: number; error: string }> {
  const decoder = new StringDecoder('utf8');
  const lineEnd = /\r\n|\r|\n/g;
  let pending = '';
  let n = 0;
  let first = true;
  const parse = (raw: string): { n: number; value: unknown } | { n: number; error: string } | null => {
    n++;
    if (first) {
      first = false;
      if (raw.startsWith('\uFEFF')) raw = raw.slice(1);
    }
    if (!raw.trim()) return null;
    try {
      return { n, value: JSON.parse(raw) as unknown };
    } catch (err) {
      return { n, error: `not JSON: ${(err as Error).message}` };
    }
  };
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let start = 0;
    lineEnd.lastIndex = 0;
    for (let match = lineEnd.exec(pending); match; match = lineEnd.exec(pending)) {
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (match[0] === '\r' && match.index === pending.length - 1) break;
      const line = parse(pending.slice(start, match.index));
      start = match.index + match[0].length;
      if (line) yield line;
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  for (const raw of pending.split(/\r\n|\r|\n/)) {
    const line = parse(raw);
    if (line) yield line;
  }
}
