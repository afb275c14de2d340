/**
 * Citation checking. Replies cite the numbered articles they were given as `[n]`; a model sometimes
 * cites a number it was never given (or writes `[1, 3]`). Only numbers of given articles are kept,
 * groups are rewritten as `[1][3]`, and every dropped number is counted so that prompt versions can
 * be compared on how often they invent sources.
 */

/** `[2]`, `[1, 3]`, `[ 4 ]`, with the horizontal space before it (dropped along with a removed group). */
const CITATION_GROUP = /([ \t]*)\[\s*(\d{1,4}(?:\s*,\s*\d{1,4})*)\s*\]/g;

export interface CitedText {
  text: string;
  /** Sorted, unique article numbers the text still cites. */
  citations: number[];
  /** Citations removed because no given article has that number. */
  invalidCitations: number;
}

/**
 * Removes citations of articles not in `valid`, leaving the words around them spaced as if the
 * citation had never been written. `atLineStart` says whether `text` begins a line (it may be a
 * piece of a longer reply).
 */
export function applyCitations(text: string, valid: ReadonlySet<number>, atLineStart = true): CitedText {
  const cited = new Set<number>();
  let invalidCitations = 0;
  let out = '';
  let copied = 0;
  const re = new RegExp(CITATION_GROUP.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [whole, lead, list] = m as unknown as [string, string, string];
    const end = m.index + whole.length;
    const numbers = list.split(',').map((s) => Number(s.trim()));
    const kept = numbers.filter((n) => valid.has(n));
    invalidCitations += numbers.length - kept.length;
    for (const n of kept) cited.add(n);
    out += text.slice(copied, m.index);
    copied = end;
    if (kept.length) {
      out += `${lead}${kept.map((n) => `[${n}]`).join('')}`;
      continue;
    }
    const lineStart = out === '' ? atLineStart : out.endsWith('\n');
    const next = text[end];
    if (lineStart) {
      // Nothing was before it on the line: the space after it would indent the line.
      copied = end + (/^[ \t]*/.exec(text.slice(end))?.[0].length ?? 0);
      re.lastIndex = copied;
    } else if (lead && next !== undefined && !/[\s.,;:!?)]/.test(next)) {
      // It sat between two words: they still need the one space between them.
      out += ' ';
    }
  }
  out += text.slice(copied);
  return { text: out, citations: [...cited].sort((a, b) => a - b), invalidCitations };
}

/**
 * The end of streamed text that may still change meaning: citation groups (complete or still being
 * written) with the spaces around them. It is held back until the next other character arrives, so
 * that the overlay never shows a citation the final text will not have, nor the space it leaves.
 */
const UNRESOLVED_TAIL = /(?:[ \t]*\[[\d\s,]{0,24}\]?)*[ \t]*$/;

/** Applies `applyCitations` to text that arrives in pieces, holding back only unresolved tails. */
export class CitationStream {
  private held = '';
  private atLineStart = true;

  constructor(private readonly valid: ReadonlySet<number>) {}

  /** Returns the text that is safe to show now (possibly empty). */
  push(piece: string): string {
    const text = this.held + piece;
    const cut = text.search(UNRESOLVED_TAIL);
    this.held = text.slice(cut);
    return this.release(text.slice(0, cut));
  }

  /** Returns whatever was still held at the end of the reply. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return this.release(rest);
  }

  private release(text: string): string {
    if (!text) return '';
    const out = applyCitations(text, this.valid, this.atLineStart).text;
    if (out) this.atLineStart = out.endsWith('\n');
    return out;
  }
}
