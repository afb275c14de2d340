import type { AdoptionOutcome } from '../contract';

/**
 * Where the outcome boundaries lie. Configuration, not magic numbers: the adoption benchmark tunes
 * them and deployments may override them.
 */
export interface AdoptionThresholds {
  /** Similarity at or above which the reply is the suggestion as it was. */
  verbatim: number;
  /** Similarity at or above which the reply is the suggestion, edited. */
  edited: number;
  /** Share of the suggestion's words kept, in order, at or above which it was partly used. */
  partial: number;
}

export const DEFAULT_ADOPTION_THRESHOLDS: AdoptionThresholds = { verbatim: 0.9, edited: 0.55, partial: 0.35 };

/** Lowercased words, with citation markers like `[2]` removed (agents often drop them). */
export function normalizedTokens(text: string): string[] {
  return text.replace(/\[\d+\]/g, ' ').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** An opening salutation: the word, up to three more (a name), then punctuation or a line break. */
const GREETING =
  /^\s*(?:hi|hello|hey|hiya|dear|greetings|good\s+(?:morning|afternoon|evening|day))\b(?:[ \t]+[\p{L}\p{N}.'’-]+){0,3}?[ \t]*(?:[,!:;.—–-]+|\n|$)/iu;
/** A closing line, alone or with a name after a comma ("Best regards," / "Thanks, Sam" / "Have a great day!"). */
const CLOSING =
  /^\s*(?:(?:best|kind|warm|warmest|many|with)\s+(?:regards|wishes|thanks)|regards|best|thanks|thank\s+you|cheers|sincerely|yours(?:\s+(?:truly|sincerely))?|all\s+the\s+best|take\s+care|have\s+a\s+(?:great|good|nice|lovely|wonderful)\s+(?:day|evening|weekend|one))\s*(?:[,.!]+\s*|,\s*[\p{L}.'’-]+(?:\s+[\p{L}.'’-]+){0,3}\s*)$/iu;
/** After a closing: at most this many lines (name, team, company) of at most this many words. */
const SIGNATURE_LINES = 3;
const SIGNATURE_WORDS = 4;

/**
 * The text without an opening greeting ("Hi Anna,") and a closing sign-off on its own lines
 * ("Best regards,\nSam\nSupport team"): agents add and change these around a suggestion they send as
 * it was. Unchanged when nothing would be left.
 */
export function withoutSalutations(text: string): string {
  let body = text.replace(/\r\n?/g, '\n').replace(/\u00a0/g, ' ');
  const greeting = GREETING.exec(body);
  if (greeting && body.slice(greeting[0].length).trim()) body = body.slice(greeting[0].length);
  const lines = body.trimEnd().split('\n');
  // The closing line is at most SIGNATURE_LINES non-blank lines from the end, and not the first line.
  let signature = 0;
  for (let i = lines.length - 1; i > 0; i--) {
    const line = lines[i]!.trim();
    if (!line) continue;
    if (CLOSING.test(line)) {
      if (lines.slice(0, i).join('\n').trim()) body = lines.slice(0, i).join('\n');
      break;
    }
    if (++signature > SIGNATURE_LINES || line.split(/\s+/).length > SIGNATURE_WORDS || /[.?!:]$/.test(line)) break;
  }
  return body.trim() || text;
}

/** Word-level Levenshtein distance, in O(min(n, m)) memory. */
export function tokenEditDistance(a: readonly string[], b: readonly string[]): number {
  if (a.length < b.length) [a, b] = [b, a];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/** Length of the longest common subsequence of words. */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

export interface Comparison {
  /** 1 − word edit distance / longer length: 1 for identical texts, 0 for nothing in common. */
  similarity: number;
  editDistance: number;
  /** Share of the suggestion's words that survive, in order, in the sent text. */
  kept: number;
  outcome: AdoptionOutcome;
}

export function compareReply(
  suggestion: string,
  sent: string,
  thresholds: AdoptionThresholds = DEFAULT_ADOPTION_THRESHOLDS,
): Comparison {
  const s = normalizedTokens(withoutSalutations(suggestion));
  const t = normalizedTokens(withoutSalutations(sent));
  const longer = Math.max(s.length, t.length);
  const editDistance = tokenEditDistance(s, t);
  const similarity = longer === 0 ? 1 : 1 - editDistance / longer;
  const kept = s.length === 0 ? 0 : longestCommonSubsequence(s, t) / s.length;
  let outcome: AdoptionOutcome = 'not_used';
  if (similarity >= thresholds.verbatim) outcome = 'verbatim';
  else if (similarity >= thresholds.edited) outcome = 'edited';
  else if (kept >= thresholds.partial) outcome = 'partial';
  return { similarity, editDistance, kept, outcome };
}

/** The candidate the sent reply is closest to, with its comparison. */
export function classifyAdoption<C extends { id: string; text: string }>(
  candidates: readonly C[],
  sent: string,
  thresholds: AdoptionThresholds = DEFAULT_ADOPTION_THRESHOLDS,
): { candidate: C | null; comparison: Comparison } {
  let best: { candidate: C | null; comparison: Comparison } | null = null;
  for (const candidate of candidates) {
    const comparison = compareReply(candidate.text, sent, thresholds);
    if (!best || comparison.similarity + comparison.kept > best.comparison.similarity + best.comparison.kept) {
      best = { candidate, comparison };
    }
  }
  if (!best) return { candidate: null, comparison: compareReply('', sent, thresholds) };
  return best.comparison.outcome === 'not_used' ? { candidate: null, comparison: best.comparison } : best;
}
