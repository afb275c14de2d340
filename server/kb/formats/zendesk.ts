import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { NodeHtmlMarkdown } from 'node-html-markdown';
import { Assembler } from 'stream-json/assembler.js';
import parser from 'stream-json/parser.js';
import { articleRecord, idOf, listInputFiles, type KbRecord, type ReadOptions } from './record';

/**
 * Zendesk Help Center exports: the pages `GET /api/v2/help_center/articles.json` answers,
 * `{articles: [...], next_page, count, ...}`. A file may hold one page, a JSON array of pages, or
 * pages one after another (concatenated or one per line); a folder holds page files, read in name
 * order. The file is tokenized as it streams in and only one article at a time is assembled into
 * an object, so a page of 100,000 articles never sits in memory.
 */
export async function* readZendesk(input: Readable, where = ''): AsyncGenerator<KbRecord> {
  const tokens = parser.asStream({ jsonStreaming: true, streamValues: false });
  // pipeline() destroys the tokenizer when the input fails, so a read error ends the loop below.
  pipeline(input, slices, tokens, () => {});
  const walker = new PageWalker(where);
  try {
    for await (const token of tokens as AsyncIterable<Token>) {
      const record = walker.push(token);
      if (record) yield record;
    }
    if (walker.pagesSeen === 0) yield { position: where || 'input', error: 'no Help Center page in it (expected {"articles": [...]})' };
  } catch (err) {
    // A JSON syntax error cannot be stepped over: where the next article starts is unknown.
    yield { position: walker.position(), error: `invalid JSON at or after this point, nothing further read: ${(err as Error).message}`, fatal: true };
  } finally {
    tokens.destroy();
  }
}

/** A page file, or a folder of page files (`*.json`, in name order). */
export async function* readZendeskPath(path: string, options: ReadOptions = {}): AsyncGenerator<KbRecord> {
  const files = await listInputFiles(path, ['.json'], { recursive: false });
  options.onTotal?.(files.reduce((sum, f) => sum + f.size, 0));
  const single = files.length === 1 && files[0]!.path === path;
  if (files.length === 0) {
    yield { position: path, error: 'no .json page files in this folder', fatal: true };
    return;
  }
  for (const file of files) {
    const input = createReadStream(file.path);
    if (options.onBytes) input.on('data', (chunk) => options.onBytes!(chunk.length));
    yield* readZendesk(input, single ? '' : file.rel);
  }
}

/**
 * The tokenizer turns each piece it is given into tokens all at once, and on a syntax error it
 * drops the tokens of that whole piece: small pieces keep the articles before an error imported,
 * all but any that end within the last KiB before it.
 */
const SLICE_BYTES = 1024;

async function* slices(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    for (let start = 0; start < chunk.length; start += SLICE_BYTES) yield chunk.subarray(start, start + SLICE_BYTES);
  }
}

type Token = { name: string; value?: unknown };

/** What a container in the export is, from where it sits. */
type Role = 'pages' | 'page' | 'articles' | 'other';

interface Frame {
  role: Role;
  /** Last key read, for objects. */
  key: string | null;
  /** For a page: whether it had an `articles` array. */
  sawArticles: boolean;
}

const html = new NodeHtmlMarkdown({});

/**
 * Follows the token stream's structure just enough to know, for each value, whether it is a page,
 * a page's `articles` array, an article, or something to skip; each article's own tokens go to an
 * Assembler that builds that one object.
 */
class PageWalker {
  private readonly stack: Frame[] = [];
  private article: Assembler | null = null;
  private page = 0;
  private articleNo = 0;

  constructor(private readonly where: string) {}

  get pagesSeen(): number {
    return this.page;
  }

  position(): string {
    const at = this.page === 0 ? 'start' : `page ${this.page}${this.articleNo ? ` article ${this.articleNo}` : ''}`;
    return this.where ? `${this.where} ${at}` : at;
  }

  push(token: Token): KbRecord | null {
    if (this.article) {
      this.article.consume(token as never);
      if (!this.article.done) return null;
      const value: unknown = this.article.current;
      this.article = null;
      return fromZendesk(this.position(), value);
    }
    switch (token.name) {
      case 'keyValue':
        this.stack[this.stack.length - 1]!.key = token.value as string;
        return null;
      case 'endObject':
      case 'endArray': {
        const frame = this.stack.pop()!;
        if (frame.role === 'page' && !frame.sawArticles) {
          return { position: this.position(), error: 'page has no "articles" array' };
        }
        return null;
      }
      default:
        return this.valueStarts(token);
    }
  }

  private valueStarts(token: Token): KbRecord | null {
    const parent = this.stack[this.stack.length - 1];
    const opens = token.name === 'startObject' || token.name === 'startArray';
    let role: Role | 'article' = 'other';
    let problem: string | null = null;
    if (!parent || parent.role === 'pages') {
      if (token.name === 'startObject') {
        role = 'page';
        this.page++;
        this.articleNo = 0;
      } else if (!parent && token.name === 'startArray') {
        role = 'pages';
      } else {
        problem = 'expected a Help Center page {"articles": [...]}';
      }
    } else if (parent.role === 'page' && parent.key === 'articles') {
      parent.sawArticles = true;
      if (token.name === 'startArray') role = 'articles';
      else problem = '"articles" is not an array';
    } else if (parent.role === 'articles') {
      this.articleNo++;
      if (token.name === 'startObject') role = 'article';
      else problem = 'article is not an object';
    }
    if (role === 'article') {
      // Numbers stay text: Help Center ids reach 13 digits and become string ids anyway.
      this.article = new Assembler({ numberAsString: true });
      this.article.consume(token as never);
      return null;
    }
    if (opens) this.stack.push({ role, key: null, sawArticles: false });
    return problem ? { position: this.position(), error: problem } : null;
  }
}

/** Maps one Help Center article to an import record; drafts are skipped, since they are not published. */
function fromZendesk(position: string, value: unknown): KbRecord {
  if (typeof value !== 'object' || value === null) return { position, error: 'article is not an object' };
  const a = value as Record<string, unknown>;
  const { id } = idOf(a);
  if (a.draft === true) return { position, error: `draft${id ? ` article ${id}` : ''}: not published` };
  return articleRecord(position, {
    id: id ?? a.id,
    title: a.title,
    body: typeof a.body === 'string' ? htmlToMarkdown(a.body) : (a.body ?? ''),
    url: a.html_url ?? undefined,
    locale: a.locale ?? undefined,
  });
}

/**
 * Help Center bodies are HTML; the chunker splits Markdown at `#`–`###` headings, so `<h1>`–`<h3>`
 * must come out as ATX headings. Scripts, styles and embeds carry no answer text and are dropped.
 */
export function htmlToMarkdown(body: string): string {
  return html.translate(body);
}
