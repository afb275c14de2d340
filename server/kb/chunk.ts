/** Longest chunk, in words, before a section is split further at paragraph breaks. */
const MAX_CHUNK_WORDS = 350;

export interface Chunk {
  ordinal: number;
  heading: string | null;
  content: string;
  /** What full-text search indexes: the article title (twice), the section heading and the text. */
  searchText: string;
}

/**
 * Splits an article at its Markdown section headings (#, ## or ###), then long sections at paragraph
 * breaks. The title is carried into every chunk so that a section is findable by its article's topic.
 */
export function chunkArticle(title: string, body: string): Chunk[] {
  const sections: { heading: string | null; lines: string[] }[] = [{ heading: null, lines: [] }];
  for (const line of body.replace(/\r\n?/g, '\n').split('\n')) {
    const heading = /^#{1,3}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) sections.push({ heading: heading[1]!, lines: [] });
    else sections[sections.length - 1]!.lines.push(line);
  }
  const chunks: Chunk[] = [];
  for (const section of sections) {
    const text = section.lines.join('\n').trim();
    if (!text && !section.heading) continue;
    for (const part of splitLong(text)) {
      // The title counts twice: a title match says more about a section than a body match does
      // (a simple field weight, measured on FeedbackQA in bench/results/retrieval.md).
      const searchText = [title, title, section.heading, part].filter(Boolean).join('\n');
      chunks.push({ ordinal: chunks.length, heading: section.heading, content: part, searchText });
    }
  }
  if (chunks.length === 0) chunks.push({ ordinal: 0, heading: null, content: '', searchText: title });
  return chunks;
}

function splitLong(text: string): string[] {
  if (wordCount(text) <= MAX_CHUNK_WORDS) return [text];
  const parts: string[] = [];
  let current: string[] = [];
  let words = 0;
  for (const paragraph of text.split(/\n{2,}/)) {
    const n = wordCount(paragraph);
    if (words > 0 && words + n > MAX_CHUNK_WORDS) {
      parts.push(current.join('\n\n'));
      current = [];
      words = 0;
    }
    current.push(paragraph);
    words += n;
  }
  if (current.length) parts.push(current.join('\n\n'));
  return parts;
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
