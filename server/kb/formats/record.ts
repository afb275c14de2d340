import { opendir, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { basename, join, relative, sep } from 'node:path';
import { describeIssues, KbArticleInput } from '../../../lib/contract';

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

/** A record for `value` at `position`: the article when it is a valid one, else the zod problems. */
export function articleRecord(position: string, value: unknown, extra: Pick<KbRecord, 'line'> = {}): KbRecord {
  const parsed = KbArticleInput.safeParse(value);
  if (parsed.success) return { position, ...extra, article: parsed.data };
  return { position, ...extra, error: describeIssues(parsed.error), ...idOf(value) };
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
 * with its parse error instead of stopping the read.
 */
export async function* jsonLines(input: Readable): AsyncGenerator<{ n: number; value: unknown } | { n: number; error: string }> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (!raw.trim()) continue;
    try {
      yield { n, value: JSON.parse(raw) as unknown };
    } catch (err) {
      yield { n, error: `not JSON: ${(err as Error).message}` };
    }
  }
}
