import type { ArmMetrics, ArmSeriesPoint, ExperimentMetrics, MetricsBucket, Proportion } from '../../lib/contract';
import type { Database } from '../db/client';
import { bradleyTerry, newcombeDifference, wilsonInterval } from './stats';

/**
 * Per-arm metrics of one experiment, aggregated in SQL in one round trip from the `events` table.
 *
 * Every event of the experiment (`experiment_key`) whose client time falls in [from, to) counts; an
 * event's arm never comes from its `experiment_arm` column (a pairwise suggestion has two arms) but
 * from the candidates it names or the candidates its suggestion showed:
 *
 * - **exposures**: `suggestion.shown` events in which the arm's candidate was shown (one per arm
 *   per event: a suggestion shows an arm at most once).
 * - **adoption**: an `adoption` event counts for the arm of its `candidateId` (candidate ids are
 *   `${suggestionId}:${arm}`). One without a candidate (`not_used`) counts for every arm shown in
 *   its suggestion, found through `suggestion.shown` events of the same suggestion in the window.
 *   Adopted = verbatim, edited or partial, over all adoption events counted for the arm; Wilson 95%
 *   interval. `liftOverControl` is the adopted rate minus the control arm's, with Newcombe's hybrid
 *   score 95% interval; null for the control and while either arm has no adoption events.
 * - **preferenceWins**: a `preference` event between X (candidate A, left) and Y (candidate B,
 *   right) is one comparison for each; `A_*` is a win for X, `B_*` for Y, `tie` half a win for each.
 *   Events marked both unusable, or with no choice, are not comparisons, nor are pairs of an arm
 *   with itself. Wins over comparisons, Wilson 95% interval on the (possibly fractional) count.
 * - **bradleyTerry**: strengths fitted to the pairwise win matrix (ties as half wins), normalized
 *   to sum to 1 over the arms reported; null for an arm without comparisons.
 * - **precisionAt8**: `knowledge.relevance` labels at rank ≤ 8 scored relevant = 1, partly = 0.5,
 *   irrelevant and outdated = 0, summed over the labels; a label counts for every arm shown in its
 *   suggestion (the articles are shared by the candidates). The Wilson interval is taken on the
 *   fractional count, which treats a `partly` as half a hit: a fair approximation, not exact.
 * - **missingKnowledge**: `knowledge.missing` events per exposure, counted for every arm shown in
 *   the suggestion; the interval is Wilson's with the count clamped to the exposures.
 * - **timeToSend**: median and 90th percentile (`percentile_cont`) of `timeToSendMs` over the
 *   adoption events counted for the arm.
 * - **series**: per time bucket (`date_trunc` of the client time in UTC) and arm: exposures, adopted
 *   and preference wins as above, the events falling in the bucket.
 *
 * A suggestion shown before `from` whose not-used adoption, label or report falls inside the
 * window is not attributed to an arm: attribution looks only at the window's `suggestion.shown`.
 */
export interface MetricsOptions {
  /** The arm the others are compared with; the alphabetically first arm reported when absent. */
  controlArm?: string;
  /** The arms to report, in this order (the experiment's own); every arm seen when absent. */
  arms?: string[];
  from?: Date | null;
  to?: Date | null;
  bucket: MetricsBucket;
}

/** Thrown when the request cannot be answered as asked (a 400 or 404 for the route). */
export class MetricsInputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

const ADOPTED_OUTCOMES = ['verbatim', 'edited', 'partial'];

/**
 * One pass over the window's events pulls out the few fields each metric needs (reading each
 * payload once); the rest works on that narrow set. The answer is one row of JSON columns, so the
 * whole dashboard is a single round trip on PGlite and PostgreSQL alike.
 */
const METRICS_SQL = `
with scoped as materialized (
  select e.type, e.suggestion_id,
         (extract(epoch from date_trunc($5, e.client_created_at, 'UTC')) * 1000)::float8 as bucket,
         case when e.type = 'suggestion.shown' then e.payload->'candidates' end as candidates,
         case when e.type = 'preference' then split_part(e.payload->>'candidateA', ':', 2) end as left_arm,
         case when e.type = 'preference' then split_part(e.payload->>'candidateB', ':', 2) end as right_arm,
         case when e.type = 'preference' and e.payload->>'bothUnusable' is distinct from 'true'
              then case when e.payload->>'choice' like 'A\\_%' then 1.0
                        when e.payload->>'choice' = 'tie' then 0.5
                        when e.payload->>'choice' like 'B\\_%' then 0.0 end end as left_score,
         case when e.type = 'adoption' then split_part(e.payload->>'candidateId', ':', 2) end as candidate_arm,
         case when e.type = 'adoption' then e.payload->>'outcome' end as outcome,
         case when e.type = 'adoption' then (e.payload->>'timeToSendMs')::float8 end as time_to_send,
         case when e.type = 'knowledge.relevance' and (e.payload->>'rank')::int <= 8
              then case e.payload->>'label' when 'relevant' then 1.0 when 'partly' then 0.5 else 0.0 end end as relevance
    from events e
   where e.tenant_id = $1::uuid and e.experiment_key = $2
     and e.client_created_at >= coalesce($3::timestamptz, '-infinity'::timestamptz)
     and e.client_created_at < coalesce($4::timestamptz, 'infinity'::timestamptz)
),
shown as materialized (
  select s.suggestion_id, s.bucket, c->>'arm' as arm
    from scoped s cross join lateral jsonb_array_elements(s.candidates) c
   where s.type = 'suggestion.shown'
),
suggestion_arms as materialized (
  select distinct suggestion_id, arm from shown
),
adoptions as materialized (
  select a.bucket, coalesce(a.candidate_arm, sa.arm) as arm, a.outcome, a.time_to_send
    from scoped a
    left join suggestion_arms sa on a.candidate_arm is null and sa.suggestion_id = a.suggestion_id
   where a.type = 'adoption'
),
comparisons as materialized (
  select bucket, left_arm, right_arm, left_score
    from scoped
   where type = 'preference' and left_score is not null and left_arm <> right_arm
),
preference_sides as (
  select bucket, left_arm as arm, left_score as wins from comparisons
  union all
  select bucket, right_arm, 1 - left_score from comparisons
)
select
  (select coalesce(json_agg(x), '[]') from (
     select arm, count(*)::int as exposures from shown group by arm) x) as exposures,
  (select coalesce(json_agg(x), '[]') from (
     select arm, outcome, count(*)::int as events from adoptions where arm is not null group by arm, outcome) x) as outcomes,
  (select coalesce(json_agg(x), '[]') from (
     select arm,
            percentile_cont(0.5) within group (order by time_to_send) as p50,
            percentile_cont(0.9) within group (order by time_to_send) as p90
       from adoptions where arm is not null and time_to_send is not null group by arm) x) as time_to_send,
  (select coalesce(json_agg(x), '[]') from (
     select left_arm as first, right_arm as second, sum(left_score)::float8 as wins, count(*)::int as comparisons
       from comparisons group by left_arm, right_arm) x) as pairs,
  (select coalesce(json_agg(x), '[]') from (
     select sa.arm, sum(r.relevance)::float8 as hits, count(*)::int as labels
       from scoped r join suggestion_arms sa on sa.suggestion_id = r.suggestion_id
      where r.type = 'knowledge.relevance' and r.relevance is not null group by sa.arm) x) as relevance,
  (select coalesce(json_agg(x), '[]') from (
     select sa.arm, count(*)::int as reports
       from scoped m join suggestion_arms sa on sa.suggestion_id = m.suggestion_id
      where m.type = 'knowledge.missing' group by sa.arm) x) as missing,
  (select coalesce(json_agg(x), '[]') from (
     select bucket, arm, count(*)::int as exposures from shown group by bucket, arm) x) as series_exposures,
  (select coalesce(json_agg(x), '[]') from (
     select bucket, arm, count(*) filter (where outcome = any($6::text[]))::int as adopted, count(*)::int as events
       from adoptions where arm is not null group by bucket, arm) x) as series_adoption,
  (select coalesce(json_agg(x), '[]') from (
     select bucket, arm, sum(wins)::float8 as wins, count(*)::int as comparisons
       from preference_sides group by bucket, arm) x) as series_preference
`;

interface MetricsRow {
  exposures: { arm: string; exposures: number }[];
  outcomes: { arm: string; outcome: string; events: number }[];
  time_to_send: { arm: string; p50: number; p90: number }[];
  pairs: { first: string; second: string; wins: number; comparisons: number }[];
  relevance: { arm: string; hits: number; labels: number }[];
  missing: { arm: string; reports: number }[];
  series_exposures: { bucket: number; arm: string; exposures: number }[];
  series_adoption: { bucket: number; arm: string; adopted: number; events: number }[];
  series_preference: { bucket: number; arm: string; wins: number; comparisons: number }[];
}

export function proportion(count: number, n: number): Proportion {
  const interval = wilsonInterval(count, n);
  return { count, n, rate: n > 0 ? count / n : null, low: interval?.low ?? null, high: interval?.high ?? null };
}

/** Adds to a per-arm total, starting from zero. */
function add<K>(map: Map<K, number>, key: K, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

export async function experimentMetrics(
  database: Database,
  tenantId: string,
  key: string,
  options: MetricsOptions,
): Promise<ExperimentMetrics> {
  const started = performance.now();
  const from = options.from ?? null;
  const to = options.to ?? null;
  if (from && to && from >= to) throw new MetricsInputError('from: must be before to');
  // JSON columns arrive as text from some drivers and parsed from others.
  const [raw] = await database.query<Record<keyof MetricsRow, unknown>>(METRICS_SQL, [
    tenantId,
    key,
    from?.toISOString() ?? null,
    to?.toISOString() ?? null,
    options.bucket,
    ADOPTED_OUTCOMES,
  ]);
  const row = Object.fromEntries(
    Object.entries(raw!).map(([column, value]) => [column, typeof value === 'string' ? JSON.parse(value) : value]),
  ) as unknown as MetricsRow;

  const seen = new Set<string>();
  for (const r of row.exposures) seen.add(r.arm);
  for (const r of row.outcomes) seen.add(r.arm);
  for (const r of row.pairs) seen.add(r.first).add(r.second);
  const arms = options.arms?.length ? [...options.arms] : [...seen].sort();
  const controlArm = options.controlArm ?? arms[0];
  if (!controlArm) throw new MetricsInputError(`no events for experiment "${key}" in this window, and no control arm to report`, 404);
  if (!arms.includes(controlArm)) {
    throw new MetricsInputError(`control: no arm "${controlArm}" in experiment "${key}" (arms: ${arms.join(', ') || 'none seen'})`);
  }
  const reported = new Set(arms);

  const exposures = new Map(row.exposures.map((r) => [r.arm, r.exposures]));
  const outcomes = new Map<string, Record<string, number>>();
  const adopted = new Map<string, number>();
  const adoptionEvents = new Map<string, number>();
  for (const r of row.outcomes) {
    const byOutcome = outcomes.get(r.arm) ?? {};
    byOutcome[r.outcome] = r.events;
    outcomes.set(r.arm, byOutcome);
    add(adoptionEvents, r.arm, r.events);
    if (ADOPTED_OUTCOMES.includes(r.outcome)) add(adopted, r.arm, r.events);
  }
  const timeToSend = new Map(row.time_to_send.map((r) => [r.arm, r]));
  const wins = new Map<string, number>();
  const comparisons = new Map<string, number>();
  for (const pair of row.pairs) {
    add(wins, pair.first, pair.wins);
    add(wins, pair.second, pair.comparisons - pair.wins);
    add(comparisons, pair.first, pair.comparisons);
    add(comparisons, pair.second, pair.comparisons);
  }
  // Strengths among the reported arms only, so that they sum to 1 over what the dashboard shows.
  const strengths = bradleyTerry(row.pairs.filter((p) => reported.has(p.first) && reported.has(p.second)));
  const relevance = new Map(row.relevance.map((r) => [r.arm, r]));
  const missing = new Map(row.missing.map((r) => [r.arm, r.reports]));

  const controlAdopted = adopted.get(controlArm) ?? 0;
  const controlEvents = adoptionEvents.get(controlArm) ?? 0;
  const armMetrics: ArmMetrics[] = arms.map((arm) => {
    const armExposures = exposures.get(arm) ?? 0;
    const lift =
      arm === controlArm ? null : newcombeDifference(adopted.get(arm) ?? 0, adoptionEvents.get(arm) ?? 0, controlAdopted, controlEvents);
    return {
      arm,
      exposures: armExposures,
      adoption: {
        outcomes: outcomes.get(arm) ?? {},
        adopted: proportion(adopted.get(arm) ?? 0, adoptionEvents.get(arm) ?? 0),
        liftOverControl: lift,
      },
      preferenceWins: proportion(wins.get(arm) ?? 0, comparisons.get(arm) ?? 0),
      bradleyTerry: strengths.get(arm) ?? null,
      precisionAt8: proportion(relevance.get(arm)?.hits ?? 0, relevance.get(arm)?.labels ?? 0),
      missingKnowledge: proportion(missing.get(arm) ?? 0, armExposures),
      timeToSend: { p50: timeToSend.get(arm)?.p50 ?? null, p90: timeToSend.get(arm)?.p90 ?? null },
    };
  });

  return {
    key,
    controlArm,
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    bucket: options.bucket,
    arms: armMetrics,
    series: buildSeries(row, reported),
    computedMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

/** Merges the three per-bucket aggregates into one point per bucket and arm, in time then arm order. */
function buildSeries(row: MetricsRow, reported: Set<string>): ArmSeriesPoint[] {
  const points = new Map<string, { bucket: number; arm: string; exposures: number; adopted: number; events: number; wins: number; comparisons: number }>();
  const point = (bucket: number, arm: string) => {
    const id = `${bucket}\u0000${arm}`;
    let p = points.get(id);
    if (!p) points.set(id, (p = { bucket, arm, exposures: 0, adopted: 0, events: 0, wins: 0, comparisons: 0 }));
    return p;
  };
  for (const r of row.series_exposures) if (reported.has(r.arm)) point(r.bucket, r.arm).exposures = r.exposures;
  for (const r of row.series_adoption) {
    if (!reported.has(r.arm)) continue;
    Object.assign(point(r.bucket, r.arm), { adopted: r.adopted, events: r.events });
  }
  for (const r of row.series_preference) {
    if (!reported.has(r.arm)) continue;
    Object.assign(point(r.bucket, r.arm), { wins: r.wins, comparisons: r.comparisons });
  }
  return [...points.values()]
    .sort((a, b) => a.bucket - b.bucket || (a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : 0))
    .map((p) => ({
      bucket: new Date(p.bucket).toISOString(),
      arm: p.arm,
      exposures: p.exposures,
      adopted: proportion(p.adopted, p.events),
      preferenceWins: proportion(p.wins, p.comparisons),
    }));
}
