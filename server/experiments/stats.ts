/**
 * The statistics behind the experiment dashboard: Wilson score intervals for proportions, Newcombe's
 * hybrid score interval for a difference of two proportions, and Bradley–Terry strengths from
 * pairwise wins. All intervals are two-sided 95%.
 */

/** The 97.5th percentile of the standard normal distribution. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for `count` successes out of `n` (Wilson 1927; Newcombe 1998, method 3),
 * without continuity correction. `count` may be fractional (ties as half wins): the formula only
 * needs the observed rate. Null when n = 0. A count above n is clamped to n, so that a rate that
 * can exceed one (missing-knowledge reports per exposure) still gets an interval inside [0, 1].
 */
export function wilsonInterval(count: number, n: number, z = Z_95): Interval | null {
  if (!(n > 0)) return null;
  const p = Math.min(Math.max(count / n, 0), 1);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const halfWidth = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // At p = 0 or 1 the bound is exactly 0 or 1; the formula only gets there up to rounding.
  return { low: p === 0 ? 0 : Math.max(0, centre - halfWidth), high: p === 1 ? 1 : Math.min(1, centre + halfWidth) };
}

export interface Difference extends Interval {
  difference: number;
}

/**
 * Newcombe's hybrid score interval (Newcombe 1998, "Interval estimation for the difference between
 * independent proportions", method 10) for p1 − p2, built from each proportion's Wilson interval.
 * Null when either denominator is 0.
 */
export function newcombeDifference(count1: number, n1: number, count2: number, n2: number, z = Z_95): Difference | null {
  const first = wilsonInterval(count1, n1, z);
  const second = wilsonInterval(count2, n2, z);
  if (!first || !second) return null;
  const p1 = Math.min(count1 / n1, 1);
  const p2 = Math.min(count2 / n2, 1);
  const difference = p1 - p2;
  return {
    difference,
    low: difference - Math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2),
    high: difference + Math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2),
  };
}

/** One ordered pair's record: `wins` of `first` over `second` in `comparisons` (a tie is half a win each). */
export interface PairRecord {
  first: string;
  second: string;
  /** Wins of `first`; the rest of the comparisons are wins of `second`. */
  wins: number;
  comparisons: number;
}

/**
 * Bradley–Terry strengths by the MM algorithm (Hunter 2004, "MM algorithms for generalized
 * Bradley–Terry models"): p_i ← W_i / Σ_j n_ij / (p_i + p_j), renormalised each round, until no
 * strength moves by more than `tolerance`. Strengths sum to 1 over the items that took part in at
 * least one comparison; items without comparisons are absent from the result. An item that never
 * won goes to 0 (its maximum-likelihood strength), and one that never lost takes the whole mass of
 * its connected group: the data cannot bound it, and the dashboard shows that as it is.
 */
export function bradleyTerry(pairs: PairRecord[], { tolerance = 1e-10, maxIterations = 10_000 } = {}): Map<string, number> {
  const items = new Map<string, number>();
  const indexOf = (name: string) => {
    let i = items.get(name);
    if (i === undefined) items.set(name, (i = items.size));
    return i;
  };
  const records = pairs.filter((p) => p.comparisons > 0 && p.first !== p.second);
  for (const p of records) {
    indexOf(p.first);
    indexOf(p.second);
  }
  const size = items.size;
  const strengths = new Map<string, number>();
  if (size === 0) return strengths;
  // Symmetric comparison counts and each item's total wins.
  const comparisons = Array.from({ length: size }, () => new Float64Array(size));
  const wins = new Float64Array(size);
  for (const p of records) {
    const i = items.get(p.first)!;
    const j = items.get(p.second)!;
    comparisons[i]![j]! += p.comparisons;
    comparisons[j]![i]! += p.comparisons;
    wins[i]! += p.wins;
    wins[j]! += p.comparisons - p.wins;
  }
  let p = new Float64Array(size).fill(1 / size);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const next = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let denominator = 0;
      for (let j = 0; j < size; j++) {
        const n = comparisons[i]![j]!;
        if (n > 0 && p[i]! + p[j]! > 0) denominator += n / (p[i]! + p[j]!);
      }
      next[i] = denominator > 0 ? wins[i]! / denominator : 0;
    }
    const total = next.reduce((sum, v) => sum + v, 0);
    if (total === 0) break;
    let change = 0;
    for (let i = 0; i < size; i++) {
      next[i] = next[i]! / total;
      change = Math.max(change, Math.abs(next[i]! - p[i]!));
    }
    p = next;
    if (change < tolerance) break;
  }
  for (const [name, i] of items) strengths.set(name, p[i]!);
  return strengths;
}
