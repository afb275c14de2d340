import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { articleRecord, listInputFiles, type KbRecord, type ReadOptions } from './record';

/** Contract v1 caps a body at 1,000,000 characters; a file far past that is not read at all. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * A folder of Markdown articles, read recursively in path order, one file at a time. Front matter
 * may set `id`, `title`, `url` and `locale`; the id defaults to the path without its extension
 * (`faq/refunds`) and the title to the first `# ` heading. A file that cannot be used is reported by
 * its path and the rest are read.
 */
export async function* readMarkdownPath(path: string, options: ReadOptions = {}): AsyncGenerator<KbRecord> {
  const files = await listInputFiles(path, ['.md', '.markdown'], { recursive: true });
  options.onTotal?.(files.reduce((sum, f) => sum + f.size, 0));
  if (files.length === 0) {
    yield { position: path, error: 'no .md files here', fatal: true };
    return;
  }
  for (const file of files) {
    if (file.size > MAX_FILE_BYTES) {
      options.onBytes?.(file.size);
      yield { position: file.rel, error: `larger than ${MAX_FILE_BYTES} bytes` };
      continue;
    }
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (err) {
      // Unlike a bad record, an unreadable file hides which article it holds: prune must not run.
      yield { position: file.rel, error: `unreadable: ${(err as Error).message}`, fatal: true };
      continue;
    }
    options.onBytes?.(file.size);
    yield fromMarkdown(file.rel, text);
  }
}

function defaultId(rel: string): string {
  return rel.replace(/\.(md|markdown)$/i, '');
}

/** One Markdown file as an import record. */
export function fromMarkdown(rel: string, source: string): KbRecord {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let meta: Record<string, unknown> = {};
  let body = text;
  const opening = /^---[ \t]*\n/.exec(text);
  if (opening) {
    const rest = text.slice(opening[0].length);
    const closing = /^(?:---|\.\.\.)[ \t]*(?:\n|$)/m.exec(rest);
    if (!closing) return { position: rel, error: 'front matter: no closing "---" line' };
    let parsed: unknown;
    try {
      // Big integer ids (Zendesk's reach 13 digits and more) must not lose digits on the way.
      // Warnings (an unknown `!tag`, whose value is still read as text) went to the process's
      // stderr, one per file with no file named; found by the fuzz tests. Errors are still reported.
      parsed = parseYaml(rest.slice(0, closing.index), { intAsBigInt: true, prettyErrors: true, logLevel: 'error' });
    } catch (err) {
      // yaml counts lines from the front matter's first line; people look at the file's (one more).
      const message = (err as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      const where = err instanceof YAMLParseError && err.linePos ? ` line ${err.linePos[0].line + 1}` : '';
      return { position: `${rel}${where}`, error: `front matter: ${message}` };
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        return { position: rel, error: 'front matter: expected "key: value" lines' };
      }
      meta = parsed as Record<string, unknown>;
    }
    body = rest.slice(closing.index + closing[0].length);
  }

  const fields: Record<string, string | undefined> = {};
  for (const key of ['id', 'title', 'url', 'locale'] as const) {
    const value = meta[key];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') fields[key] = String(value);
    else return { position: rel, error: `front matter ${key}: expected text, got ${Array.isArray(value) ? 'a list' : typeof value}` };
  }

  let title = fields.title;
  if (title === undefined) {
    const heading = firstTitleHeading(body);
    if (heading) {
      title = heading.text;
      // The heading became the title, which every chunk carries already; kept in the body it would
      // open a one-line section of its own.
      body = body.slice(0, heading.start) + body.slice(heading.end);
    }
  }
  const id = fields.id ?? defaultId(rel);
  if (!title?.trim()) return { position: rel, error: 'no title: set "title" in the front matter or start with a "# " heading', id };
  return articleRecord(rel, {
    id,
    title,
    body: body.trim(),
    url: fields.url,
    locale: fields.locale,
  });
}

/** The first `# Title` line outside fenced code (where `#` starts shell comments, not headings). */
function firstTitleHeading(body: string): { text: string; start: number; end: number } | null {
  let fence: string | null = null;
  let offset = 0;
  for (const line of body.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker) {
      if (fence === null) fence = marker[0]!;
      else if (marker[0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const heading = /^#[ \t]+(.+?)[ \t]*#*[ \t]*$/.exec(line);
    if (heading) return { text: heading[1]!, start, end: Math.min(offset, body.length) };
  }
  return null;
}
