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
  const s = normalizedTokens(suggestion);
  const t = normalizedTokens(sent);
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
