import type { AnnotationEvent, MetricsBucket } from '../../lib/contract';
import { bradleyTerry, newcombeDifference, wilsonInterval, type PairRecord } from '../../server/experiments/stats';

/**
 * An experiment's per-arm metrics recomputed in plain TypeScript from raw events, by the
 * definitions in server/experiments/metrics.ts, to check what the API and the dashboard show.
 */

/** `date_trunc(bucket, t, 'UTC')` in epoch ms (weeks start on Monday). */
function truncate(ms: number, bucket: MetricsBucket): number {
  const d = new Date(ms);
  if (bucket === 'hour') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return bucket === 'day' ? day : day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
}

/** `percentile_cont`: linear interpolation between the closest ranks. */
function percentileCont(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

const armOf = (candidateId: string) => candidateId.slice(candidateId.indexOf(':') + 1);

/** Every metric recomputed from the raw events, by the definitions in server/experiments/metrics.ts. */
export function expectedMetrics(
  all: AnnotationEvent[],
  query: { key: string; arms: string[]; from?: string; to?: string; bucket: MetricsBucket; control?: string },
) {
  const { key: KEY, arms: ARMS } = query;
  const from = query.from ? Date.parse(query.from) : -Infinity;
  const to = query.to ? Date.parse(query.to) : Infinity;
  const events = all.filter((e) => e.experiment?.key === KEY && Date.parse(e.createdAt) >= from && Date.parse(e.createdAt) < to);
  const bucketOf = (e: AnnotationEvent) => truncate(Date.parse(e.createdAt), query.bucket);
  const shownArms = new Map<string, string[]>();
  const arm = () => ({ exposures: 0, outcomes: {} as Record<string, number>, adopted: 0, adoptions: 0, times: [] as number[], wins: 0, comparisons: 0, hits: 0, labels: 0, missing: 0 });
  const perArm = new Map(ARMS.map((a) => [a, arm()]));
  const series = new Map<string, { exposures: number; adopted: number; adoptions: number; wins: number; comparisons: number }>();
  const point = (bucket: number, name: string) => {
    const id = `${bucket}|${name}`;
    if (!series.has(id)) series.set(id, { exposures: 0, adopted: 0, adoptions: 0, wins: 0, comparisons: 0 });
    return series.get(id)!;
  };
  const pairs = new Map<string, PairRecord>();
  for (const e of events) {
    if (e.type !== 'suggestion.shown') continue;
    shownArms.set(e.suggestionId, e.candidates.map((c) => c.arm));
    for (const c of e.candidates) {
      perArm.get(c.arm)!.exposures++;
      point(bucketOf(e), c.arm).exposures++;
    }
  }
  for (const e of events) {
    if (e.type === 'adoption') {
      const arms = e.candidateId ? [armOf(e.candidateId)] : (shownArms.get(e.suggestionId) ?? []);
      const adopted = e.outcome !== 'not_used';
      for (const name of arms) {
        const a = perArm.get(name)!;
        a.outcomes[e.outcome] = (a.outcomes[e.outcome] ?? 0) + 1;
        a.adoptions++;
        if (adopted) a.adopted++;
        if (e.timeToSendMs !== null) a.times.push(e.timeToSendMs);
        const p = point(bucketOf(e), name);
        p.adoptions++;
        if (adopted) p.adopted++;
      }
    } else if (e.type === 'preference') {
      if (e.bothUnusable || e.choice === null) continue;
      const left = armOf(e.candidateA);
      const right = armOf(e.candidateB);
      if (left === right) continue;
      const score = e.choice.startsWith('A_') ? 1 : e.choice === 'tie' ? 0.5 : 0;
      for (const [name, won] of [[left, score], [right, 1 - score]] as const) {
        perArm.get(name)!.wins += won;
        perArm.get(name)!.comparisons++;
        point(bucketOf(e), name).wins += won;
        point(bucketOf(e), name).comparisons++;
      }
      const id = `${left}|${right}`;
      const pair = pairs.get(id) ?? { first: left, second: right, wins: 0, comparisons: 0 };
      pair.wins += score;
      pair.comparisons++;
      pairs.set(id, pair);
    } else if (e.type === 'knowledge.relevance') {
      if (e.rank > 8) continue;
      const score = e.label === 'relevant' ? 1 : e.label === 'partly' ? 0.5 : 0;
      for (const name of shownArms.get(e.suggestionId) ?? []) {
        perArm.get(name)!.hits += score;
        perArm.get(name)!.labels++;
      }
    } else if (e.type === 'knowledge.missing') {
      for (const name of shownArms.get(e.suggestionId) ?? []) perArm.get(name)!.missing++;
    }
  }
  const proportion = (count: number, n: number) => {
    const interval = wilsonInterval(count, n);
    return { count, n, rate: n ? count / n : null, low: interval?.low ?? null, high: interval?.high ?? null };
  };
  const control = query.control ?? ARMS[0]!;
  const strengths = bradleyTerry([...pairs.values()]);
  const c = perArm.get(control)!;
  return {
    controlArm: control,
    arms: ARMS.map((name) => {
      const a = perArm.get(name)!;
      return {
        arm: name,
        exposures: a.exposures,
        adoption: {
          outcomes: a.outcomes,
          adopted: proportion(a.adopted, a.adoptions),
          liftOverControl: name === control ? null : newcombeDifference(a.adopted, a.adoptions, c.adopted, c.adoptions),
        },
        preferenceWins: proportion(a.wins, a.comparisons),
        bradleyTerry: strengths.get(name) ?? null,
        precisionAt8: proportion(a.hits, a.labels),
        missingKnowledge: proportion(a.missing, a.exposures),
        timeToSend: { p50: percentileCont(a.times, 0.5), p90: percentileCont(a.times, 0.9) },
      };
    }),
    series: [...series.entries()]
      .map(([id, p]) => {
        const [bucket, name] = id.split('|') as [string, string];
        return { bucket: Number(bucket), arm: name, ...p };
      })
      .sort((a, b) => a.bucket - b.bucket || a.arm.localeCompare(b.arm))
      .map((p) => ({
        bucket: new Date(p.bucket).toISOString(),
        arm: p.arm,
        exposures: p.exposures,
        adopted: proportion(p.adopted, p.adoptions),
        preferenceWins: proportion(p.wins, p.comparisons),
      })),
  };
}

/** Sums in SQL and in JS round differently in the last bits. */
export function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)));
}

