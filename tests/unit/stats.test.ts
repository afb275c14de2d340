import { describe, expect, it } from 'vitest';
import { bradleyTerry, newcombeDifference, wilsonInterval } from '../../server/experiments/stats';

/** Published figures are given to four decimals. */
const close = (actual: number | undefined, expected: number) => expect(actual).toBeCloseTo(expected, 4);

describe('Wilson score interval', () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i/%i → [%f, %f]', (count, n, low, high) => {
    const interval = wilsonInterval(count, n)!;
    close(interval.low, low);
    close(interval.high, high);
  });

  it('is symmetric about one half and stays inside [0, 1]', () => {
    const interval = wilsonInterval(5, 10)!;
    close(interval.low + interval.high, 1);
    expect(wilsonInterval(10, 10)!.high).toBe(1);
    expect(wilsonInterval(0, 10)!.low).toBe(0);
  });

  it('takes fractional counts (ties as half wins) between the integer neighbours', () => {
    const half = wilsonInterval(4.5, 10)!;
    expect(half.low).toBeGreaterThan(wilsonInterval(4, 10)!.low);
    expect(half.low).toBeLessThan(wilsonInterval(5, 10)!.low);
  });

  it('has no interval without observations, and clamps a count above n', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(12, 10)).toEqual(wilsonInterval(10, 10));
  });
});

describe('Newcombe hybrid score interval for a difference', () => {
  // Newcombe (1998), "Interval estimation for the difference between independent proportions",
  // Table II, method 10.
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
  ])('%i/%i − %i/%i → [%f, %f]', (c1, n1, c2, n2, low, high) => {
    const d = newcombeDifference(c1, n1, c2, n2)!;
    close(d.difference, c1 / n1 - c2 / n2);
    close(d.low, low);
    close(d.high, high);
  });

  it('is antisymmetric and null without observations on either side', () => {
    const forward = newcombeDifference(30, 100, 20, 90)!;
    const backward = newcombeDifference(20, 90, 30, 100)!;
    close(forward.low, -backward.high);
    close(forward.high, -backward.low);
    expect(newcombeDifference(1, 0, 3, 10)).toBeNull();
  });
});

describe('Bradley–Terry strengths', () => {
  it('gives two items strengths in the ratio of their wins', () => {
    const s = bradleyTerry([{ first: 'a', second: 'b', wins: 2, comparisons: 3 }]);
    close(s.get('a'), 2 / 3);
    close(s.get('b'), 1 / 3);
  });

  it('recovers strengths 4:2:1 from records that fit them exactly', () => {
    // p_a/(p_a+p_b) = 2/3, p_b/(p_b+p_c) = 2/3, p_a/(p_a+p_c) = 4/5 hold for (4, 2, 1)/7, so they
    // solve the likelihood equations W_i = Σ_j n_ij p_i / (p_i + p_j).
    const s = bradleyTerry([
      { first: 'a', second: 'b', wins: 2, comparisons: 3 },
      { first: 'c', second: 'b', wins: 1, comparisons: 3 },
      { first: 'a', second: 'c', wins: 4, comparisons: 5 },
    ]);
    close(s.get('a'), 4 / 7);
    close(s.get('b'), 2 / 7);
    close(s.get('c'), 1 / 7);
  });

  it('satisfies the likelihood equations on uneven data, ties as half wins', () => {
    const pairs = [
      { first: 'x', second: 'y', wins: 7.5, comparisons: 12 },
      { first: 'y', second: 'z', wins: 3, comparisons: 9 },
      { first: 'z', second: 'x', wins: 4.5, comparisons: 10 },
      { first: 'x', second: 'y', wins: 1, comparisons: 2 },
    ];
    const s = bradleyTerry(pairs);
    close([...s.values()].reduce((a, b) => a + b, 0), 1);
    for (const item of ['x', 'y', 'z']) {
      let won = 0;
      let expected = 0;
      for (const p of pairs) {
        if (p.first === item) {
          won += p.wins;
          expected += (p.comparisons * s.get(item)!) / (s.get(item)! + s.get(p.second)!);
        } else if (p.second === item) {
          won += p.comparisons - p.wins;
          expected += (p.comparisons * s.get(item)!) / (s.get(item)! + s.get(p.first)!);
        }
      }
      close(expected, won);
    }
  });

  it('leaves out items without comparisons', () => {
    expect(bradleyTerry([]).size).toBe(0);
    expect(bradleyTerry([{ first: 'a', second: 'b', wins: 0, comparisons: 0 }]).size).toBe(0);
  });
});
