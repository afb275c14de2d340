/**
 * Grouping of missing-knowledge flags for the KB-gap report: the basic version, by word overlap of
 * the proposed title (or, without one, the description). A clustering version (embeddings, topic
 * clusters) replaces this file behind the same `MissingGrouper` interface.
 */

/** One `knowledge.missing` flag. */
export interface MissingFlag {
  description: string;
  proposedTitle?: string;
  category?: string;
  ticketId: string;
}

/** A group of flags that ask for the same article. */
export interface MissingGroup {
  /** The proposed title given most often, else the first description (clipped). */
  title: string;
  flags: number;
  /** Distinct tickets flagged. */
  tickets: number;
  exampleTickets: string[];
  /** Categories given, most frequent first. */
  categories: { category: string; flags: number }[];
  exampleDescriptions: string[];
}

export interface MissingGrouper {
  /** A description of the method, printed with the report. */
  readonly method: string;
  add(flag: MissingFlag): void;
  /** The groups, largest first. */
  groups(): MissingGroup[];
}

/** Two flags belong together when their word sets overlap at least this much (Jaccard). */
export const SIMILARITY = 0.5;
const EXAMPLE_TICKETS = 5;
const EXAMPLE_DESCRIPTIONS = 3;
/** Distinct titles counted per group, to pick the most common one; later new ones are not tracked. */
const TITLES_TRACKED = 50;
const TITLE_CHARS = 80;

const STOPWORDS = new Set(
  'a an and are as at be but by can could do does for from has have how i if in into is it its me my no not of on or our so that the their there this to was we were what when where which who why will with without you your about article articles missing need needs new info information no any'.split(
    ' ',
  ),
);

/** The flag's words for comparison: lower case, accents removed, stop words dropped, plurals folded. */
export function normalizedWords(text: string): string[] {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu) ?? [];
  const kept = new Set<string>();
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    kept.add(word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word);
  }
  return [...kept].sort();
}

function jaccard(a: Set<string>, b: string[]): number {
  let shared = 0;
  for (const word of b) if (a.has(word)) shared++;
  return shared / (a.size + b.length - shared);
}

interface Group {
  words: Set<string>;
  flags: number;
  tickets: Set<string>;
  titles: Map<string, number>;
  categories: Map<string, number>;
  descriptions: string[];
}

/**
 * Greedy single pass: a flag joins the group whose first flag's words overlap its own words most
 * (at least SIMILARITY), or starts a new group. Words are those of the proposed title when the agent
 * gave one, else of the description; flags with no words left are grouped by their exact text.
 * Candidate groups are found through the words they share with the flag, so a flag is compared
 * with few groups however many there are. Memory grows with the groups and their distinct tickets,
 * not with the flags.
 */
export function createMissingGrouper(): MissingGrouper {
  const groups: Group[] = [];
  const byWord = new Map<string, number[]>();
  const byExactText = new Map<string, number>();

  function place(words: string[], exact: string): Group {
    if (words.length === 0) {
      const found = byExactText.get(exact);
      if (found !== undefined) return groups[found]!;
    } else {
      let best = -1;
      let bestScore = SIMILARITY;
      const seen = new Set<number>();
      for (const word of words) {
        for (const index of byWord.get(word) ?? []) {
          if (seen.has(index)) continue;
          seen.add(index);
          const score = jaccard(groups[index]!.words, words);
          if (score >= bestScore && (score > bestScore || best < 0 || index < best)) {
            best = index;
            bestScore = score;
          }
        }
      }
      if (best >= 0) return groups[best]!;
    }
    const group: Group = { words: new Set(words), flags: 0, tickets: new Set(), titles: new Map(), categories: new Map(), descriptions: [] };
    groups.push(group);
    const index = groups.length - 1;
    if (words.length === 0) byExactText.set(exact, index);
    for (const word of words) {
      const list = byWord.get(word);
      if (list) list.push(index);
      else byWord.set(word, [index]);
    }
    return group;
  }

  return {
    method:
      `flags grouped by the words of their proposed title (or description when no title was given), ` +
      `lower-cased, without stop words and plural -s, joining a group when they share at least ` +
      `${Math.round(SIMILARITY * 100)}% of words (Jaccard) with its first flag`,
    add(flag) {
      const title = flag.proposedTitle?.trim() || undefined;
      const basis = title ?? flag.description.trim();
      const group = place(normalizedWords(basis), basis.toLowerCase());
      group.flags++;
      group.tickets.add(flag.ticketId);
      if (title && (group.titles.has(title) || group.titles.size < TITLES_TRACKED)) group.titles.set(title, (group.titles.get(title) ?? 0) + 1);
      const category = flag.category?.trim();
      if (category) group.categories.set(category, (group.categories.get(category) ?? 0) + 1);
      const description = flag.description.trim();
      if (group.descriptions.length < EXAMPLE_DESCRIPTIONS && !group.descriptions.includes(description)) group.descriptions.push(description);
    },
    groups() {
      return groups
        .map((g): MissingGroup => {
          const [title] = [...g.titles].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
          const first = g.descriptions[0] ?? '';
          return {
            title: title ?? (first.length > TITLE_CHARS ? `${first.slice(0, TITLE_CHARS).replace(/\s+\S*$/, '')} …` : first),
            flags: g.flags,
            tickets: g.tickets.size,
            exampleTickets: [...g.tickets].slice(0, EXAMPLE_TICKETS),
            categories: [...g.categories].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([category, flags]) => ({ category, flags })),
            exampleDescriptions: g.descriptions,
          };
        })
        .sort((a, b) => b.flags - a.flags || b.tickets - a.tickets || a.title.localeCompare(b.title));
    },
  };
}
