/**
 * (suggestion, sent) pairs for the adoption benchmark, built from DSTC11 gold agent replies with the
 * edits the issue fixes (not tuned to the classifier):
 *
 * - verbatim: the suggestion unchanged apart from whitespace, with a greeting, a sign-off or both added;
 * - edited: 10–35 % of its words replaced, inserted or deleted at random positions;
 * - partial: one contiguous half of its words kept, the other half replaced by another gold reply's words;
 * - not_used: a different gold reply.
 *
 * "Words" here are whitespace-separated tokens of the reply, punctuation attached. Everything random
 * comes from one seeded generator, so a seed always gives the same pairs.
 */
import type { AdoptionOutcome } from '../../lib/contract';
import { seededRandom } from '../../lib/random';

export const ADOPTION_CLASSES = ['verbatim', 'edited', 'partial', 'not_used'] as const satisfies readonly AdoptionOutcome[];
export type AdoptionClass = (typeof ADOPTION_CLASSES)[number];

/** A gold reply and the conversation it belongs to (DSTC11 instances are prefixes of shared dialogues). */
export interface GoldReply {
  id: string;
  conversation: string;
  text: string;
}

export interface AdoptionPair {
  id: string;
  trueClass: AdoptionClass;
  /** The suggestion shown to the agent (candidate 1). */
  suggestion: GoldReply;
  /** An unrelated gold reply shown next to it (candidate 2). */
  distractor: GoldReply;
  /** What the agent typed, before the CKEditor round trip. */
  sent: string;
  /** How `sent` was made, for the record. */
  how: Record<string, string | number>;
}


export const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

// Fixed before the classifier was looked at; typical openings and closings of support replies.
const CUSTOMERS = ['Anna', 'James', 'Mr Patel', 'Ms Okafor', 'Lucy', 'David'];
const AGENTS = ['Sam', 'Priya', 'Tom', 'Alex Chen', 'Maria', 'Jonas'];
const TEAMS = ['Customer Support', 'Cambridge Concierge Team', 'The Support Team'];
const GREETINGS = ['Hi {c},', 'Hello {c},', 'Hi there,', 'Dear {c},', 'Good morning {c},', 'Hey {c}!', 'Hello,', 'Good afternoon,'];
const SIGN_OFFS = [
  'Best regards,\n{a}',
  'Kind regards,\n{a}\n{t}',
  'Thanks,\n{a}',
  'Many thanks,\n{a}',
  'Cheers,\n{a}',
  'Best,\n{a}',
  'Sincerely,\n{a}\n{t}',
  'Have a great day!\n{a}',
];

export class PairGenerator {
  private readonly random: () => number;
  /** Every word of every gold reply, with repeats: replacement and inserted words are drawn from it. */
  private readonly vocabulary: string[];

  constructor(
    private readonly replies: readonly GoldReply[],
    seed: number,
  ) {
    this.random = seededRandom(seed);
    this.vocabulary = replies.flatMap((r) => words(r.text));
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A gold reply from another conversation than all of `avoid`. */
  otherReply(...avoid: GoldReply[]): GoldReply {
    for (;;) {
      const r = this.pick(this.replies);
      if (avoid.every((a) => a.conversation !== r.conversation)) return r;
    }
  }

  /** Whitespace changes only: sentence breaks as lines or paragraphs, doubled spaces, padding. */
  private rewhitespace(text: string): { text: string; changes: string } {
    const changes: string[] = [];
    let out = text;
    const options = ['lines', 'paragraphs', 'double spaces', 'padding'] as const;
    // At least one change, each of the others with probability one half.
    const first = this.pick(options);
    const chosen = options.filter((o) => o === first || this.random() < 0.5);
    if (chosen.includes('lines') && !chosen.includes('paragraphs')) {
      out = out.replace(/([.!?]) +(?=\S)/g, (_m, p: string) => `${p}\n`);
      changes.push('sentences on separate lines');
    }
    if (chosen.includes('paragraphs')) {
      out = out.replace(/([.!?]) +(?=\S)/g, (_m, p: string) => `${p}\n\n`);
      changes.push('sentences as paragraphs');
    }
    if (chosen.includes('double spaces')) {
      out = out.replace(/ /g, (m) => (this.random() < 0.3 ? '  ' : m));
      changes.push('doubled spaces');
    }
    if (chosen.includes('padding')) {
      out = `${this.pick(['', ' ', '\n', '  '])}${out}${this.pick([' ', '\n', '  \n', '\t'])}`;
      changes.push('leading/trailing whitespace');
    }
    return { text: out, changes: changes.join(', ') };
  }

  verbatim(suggestion: GoldReply): { sent: string; how: Record<string, string> } {
    const { text, changes } = this.rewhitespace(suggestion.text);
    const kind = this.pick(['greeting', 'sign-off', 'greeting and sign-off'] as const);
    const fill = (template: string) =>
      template.replace('{c}', this.pick(CUSTOMERS)).replace('{a}', this.pick(AGENTS)).replace('{t}', this.pick(TEAMS));
    let sent = text;
    if (kind !== 'sign-off') sent = `${fill(this.pick(GREETINGS))}${this.pick(['\n\n', '\n', ' '])}${sent}`;
    if (kind !== 'greeting') sent = `${sent}${this.pick(['\n\n', '\n'])}${fill(this.pick(SIGN_OFFS))}`;
    return { sent, how: { whitespace: changes, added: kind } };
  }

  /** k distinct word positions edited, k drawn uniformly from the integers in [10 %, 35 %] of the words. */
  edited(suggestion: GoldReply): { sent: string; how: Record<string, string | number> } {
    const original = words(suggestion.text);
    const n = original.length;
    const lo = Math.ceil(0.1 * n);
    const hi = Math.max(lo, Math.floor(0.35 * n));
    const k = lo + this.int(hi - lo + 1);
    const positions = new Set(this.shuffle(original.map((_, i) => i)).slice(0, k));
    const counts = { replace: 0, insert: 0, delete: 0 };
    const out: string[] = [];
    // A replacement or insertion is a different word, not the same one with other case or punctuation.
    const bare = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
    const newWord = (not: string) => {
      for (;;) {
        const w = this.pick(this.vocabulary);
        if (bare(w) && bare(w) !== bare(not)) return w;
      }
    };
    original.forEach((word, i) => {
      if (!positions.has(i)) {
        out.push(word);
        return;
      }
      const op = this.pick(['replace', 'insert', 'delete'] as const);
      counts[op]++;
      if (op === 'replace') out.push(newWord(word));
      else if (op === 'insert') out.push(newWord(word), word);
      // delete: nothing
    });
    return { sent: out.join(' '), how: { words: n, edits: k, editRate: +(k / n).toFixed(3), ...counts } };
  }

  /** One contiguous half kept (first or second, at random); the other half is another reply's words. */
  partial(suggestion: GoldReply, distractor: GoldReply): { sent: string; how: Record<string, string | number> } {
    const original = words(suggestion.text);
    const n = original.length;
    const keep = n % 2 === 0 ? n / 2 : Math.floor(n / 2) + this.int(2);
    const fresh = n - keep;
    let source: string[];
    do source = words(this.otherReply(suggestion, distractor).text);
    while (source.length < fresh);
    const start = this.int(source.length - fresh + 1);
    const replacement = source.slice(start, start + fresh);
    const keptFirst = this.random() < 0.5;
    const sent = keptFirst ? [...original.slice(0, keep), ...replacement] : [...replacement, ...original.slice(n - keep)];
    return { sent: sent.join(' '), how: { words: n, kept: keep, half: keptFirst ? 'first' : 'second' } };
  }

  notUsed(suggestion: GoldReply, distractor: GoldReply): { sent: string; how: Record<string, string> } {
    const other = this.otherReply(suggestion, distractor);
    return { sent: other.text, how: { reply: other.id } };
  }

  /** `perClass` pairs of each class, every suggestion a different gold reply of at least `minWords` words. */
  pairs(perClass: number, minWords: number): AdoptionPair[] {
    const eligible = this.shuffle(this.replies.filter((r) => words(r.text).length >= minWords));
    if (eligible.length < perClass * ADOPTION_CLASSES.length) {
      throw new Error(`only ${eligible.length} gold replies of ≥ ${minWords} words for ${perClass * ADOPTION_CLASSES.length} pairs`);
    }
    const pairs: AdoptionPair[] = [];
    ADOPTION_CLASSES.forEach((trueClass, c) => {
      for (let i = 0; i < perClass; i++) {
        const suggestion = eligible[c * perClass + i]!;
        const distractor = this.otherReply(suggestion);
        const made =
          trueClass === 'verbatim'
            ? this.verbatim(suggestion)
            : trueClass === 'edited'
              ? this.edited(suggestion)
              : trueClass === 'partial'
                ? this.partial(suggestion, distractor)
                : this.notUsed(suggestion, distractor);
        pairs.push({ id: `${trueClass}-${i}`, trueClass, suggestion, distractor, sent: made.sent, how: made.how });
      }
    });
    return pairs;
  }
}

