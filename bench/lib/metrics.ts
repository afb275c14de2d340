import { multisetF1 } from '../../server/generation/reply-memory';

/** Binary-relevance ranking metrics over a ranked list of ids. */
export function rankingMetrics(ranked: string[], gold: string[]) {
  const relevant = new Set(gold);
  const hitsAt = (k: number) => ranked.slice(0, k).filter((id) => relevant.has(id)).length;
  const firstHit = ranked.findIndex((id) => relevant.has(id));
  let dcg = 0;
  ranked.slice(0, 8).forEach((id, i) => {
    if (relevant.has(id)) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(8, relevant.size); i++) idcg += 1 / Math.log2(i + 2);
  return {
    'recall@8': hitsAt(8) / relevant.size,
    'recall@20': hitsAt(20) / relevant.size,
    'recall@75': hitsAt(75) / relevant.size,
    'precision@8': hitsAt(8) / 8,
    'MRR@8': firstHit >= 0 && firstHit < 8 ? 1 / (firstHit + 1) : 0,
    'nDCG@8': idcg ? dcg / idcg : 0,
  };
}

export type RankingMetrics = ReturnType<typeof rankingMetrics>;
export const METRIC_NAMES = ['recall@8', 'recall@20', 'recall@75', 'precision@8', 'MRR@8', 'nDCG@8'] as const;

export function meanMetrics(all: RankingMetrics[]): RankingMetrics {
  const out = Object.fromEntries(METRIC_NAMES.map((m) => [m, 0])) as RankingMetrics;
  for (const r of all) for (const m of METRIC_NAMES) out[m] += r[m] / all.length;
  return out;
}

/** Collapses a ranked chunk list to its articles, first occurrence wins. */
export function dedupe(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Token-level F1 between a reply and a reference (lowercased words, citations dropped), as in SQuAD-style scoring. */
export function tokenF1(candidate: string, reference: string): number {
  const tok = (s: string) => s.replace(/\[\d+\]/g, ' ').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return multisetF1(tok(candidate), tok(reference));
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
