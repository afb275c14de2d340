import type { ArmMetrics, ArmSeriesPoint, ExperimentMetrics, MetricsBucket, Proportion } from '../../lib/contract';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { bradleyTerry, newcombeDifference, wilsonInterval, type PairRecord } from './stats';

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
 *   its suggestion, as its first stored `suggestion.shown` showed them (experiment_suggestions).
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
 * - **series**: per time bucket (hour, day or week from Monday, of the client time in UTC) and
 *   arm: exposures, adopted and preference wins as above, of the events falling in the bucket.
 *
 * Attribution through the suggestion takes the arms of the suggestion's first stored
 * `suggestion.shown` (the overlay records one; a repeat counts as an exposure but attributes
 * nothing more) and counts when that shown event is in the window too: a suggestion shown before
 * `from` gives its not-used adoption, labels and reports inside the window to no arm.
 *
 * Windows of whole hours (and none, the whole experiment) are answered from counts kept as events
 * are stored (migration 0009: per hour, arms and outcome, and adoption times ordered per arm), a
 * few tens of thousands of rows at a million events; other windows from the events' generated
 * columns (migration 0008). Both give the same numbers.
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

/** Outcomes that count as adopted. */
const ADOPTED_OUTCOMES = ['verbatim', 'edited', 'partial'];

/** Events of the given types of the experiment in the window: ranges of the covering index (migration 0008). */
function scope(alias: string, types: string[]): string {
  return `${alias}.tenant_id = $1::uuid and ${alias}.experiment_key = $2
          and ${alias}.type in (${types.map((t) => `'${t}'`).join(', ')})
          and ${alias}.client_created_at >= coalesce($3::timestamptz, '-infinity'::timestamptz)
          and ${alias}.client_created_at < coalesce($4::timestamptz, 'infinity'::timestamptz)`;
}

/**
 * Buckets are `date_bin` of the client time from a Monday midnight UTC: the same as
 * `date_trunc(bucket, t, 'UTC')` for hours, days and weeks, in integer arithmetic where
 * date_trunc with a time zone converts every row (a tenth of a second per 300,000 rows).
 */
const BUCKET_ORIGIN = `'2000-01-03T00:00:00Z'::timestamptz`;
const BUCKET_INTERVALS: Record<MetricsBucket, string> = { hour: '1 hour', day: '1 day', week: '7 days' };
/** The bucket of event `e`; `$5` is the bucket's interval. */
const EVENT_BUCKET = `date_bin($5::interval, e.client_created_at, ${BUCKET_ORIGIN})`;

/** A bucket's start in epoch ms, computed on grouped rows only (numeric extract per row is slow). */
const BUCKET_MS = `(extract(epoch from bucket) * 1000)::float8`;

/**
 * The window in SQL: `$3` and `$4` are from and to (null for unbounded). `column` is a time or an
 * hour start; for whole-hour bounds, an event is in the window exactly when its hour is.
 */
function inWindow(column: string): string {
  return `${column} >= coalesce($3::timestamptz, '-infinity'::timestamptz) and ${column} < coalesce($4::timestamptz, 'infinity'::timestamptz)`;
}

/**
 * `percentile_cont(q)` of the arm's times to send in the window, exactly as PostgreSQL computes it:
 * the values at ranks floor and ceil of q·(n−1), interpolated, where n is `t.n`, the count kept in
 * experiment_metric_hours. The two values are read at their rank from the index on
 * (arm, time_to_send), walking from the nearer end: a median walks half an arm's times, a 90th
 * percentile a tenth of them from the top, instead of sorting all of them.
 */
function rankedPercentile(q: number): string {
  const position = `(${q}::float8 * (t.n - 1))`;
  const lower = `floor(${position})`;
  const step = `(ceil(${position}) - ${lower})::int`;
  const fromTop = q > 0.5;
  // From the bottom, v holds the values at ranks lower and lower + 1; from the top, at ranks
  // ceil and ceil − 1. `step` (0 or 1) picks the other one of the pair.
  const [low, high] = fromTop ? [`v[1 + ${step}]`, 'v[1]'] : ['v[1]', `v[1 + ${step}]`];
  const offset = fromTop ? `(t.n - 1 - ceil(${position}))` : lower;
  // `offset 0` keeps the planner from inlining v, which would walk the index once per mention.
  return `(select ${low} + (${high} - ${low}) * (${position} - ${lower})
             from (select array(select a.time_to_send from experiment_adoption_times a
                                 where a.tenant_id = $1::uuid and a.experiment_key = $2 and a.arm = t.arm and ${inWindow('a.at')}
                                   and (a.shown_at is null or (${inWindow('a.shown_at')}))
                                 order by a.time_to_send ${fromTop ? 'desc' : 'asc'}
                                offset ${offset}::bigint limit 2) as v offset 0) ranked)`;
}

/**
 * From the counts kept at ingest (migration 0009), for windows of whole hours (or none): the
 * experiment's rows of experiment_metric_hours, a few tens of thousands at a million events,
 * summed per bucket and split into arms, and the exact time-to-send percentiles read at their rank
 * from experiment_adoption_times' index instead of sorting every time. An event attributed through
 * its suggestion counts when both its hour and its suggestion's shown hour are in the window.
 * Answers the same JSON columns as RAW_METRICS_SQL, in one round trip.
 */
export const ROLLUP_METRICS_SQL = `
with cells as materialized (
  select ${EVENT_BUCKET.replace('e.client_created_at', 'h.hour')} as bucket, h.type, h.arms, h.outcome,
         sum(h.events)::bigint as events, sum(h.valued)::bigint as valued, sum(h.value_sum)::float8 as value_sum
    from experiment_metric_hours h
   where h.tenant_id = $1::uuid and h.experiment_key = $2 and ${inWindow('h.hour')}
     and (h.shown_hour = '-infinity'::timestamptz or (${inWindow('h.shown_hour')}))
   group by 1, 2, 3, 4
),
timed as (
  select arm, sum(valued)::float8 as n
    from cells cross join lateral unnest(cells.arms) as arm
   where type = 'adoption'
   group by arm
  having sum(valued) > 0
)
select
  (select coalesce(json_agg(x), '[]') from (
     select arms, ${BUCKET_MS} as bucket, sum(events)::int as events
       from cells where type = 'suggestion.shown' group by arms, bucket) x) as exposures,
  (select coalesce(json_agg(x), '[]') from (
     select arm, outcome, ${BUCKET_MS} as bucket, sum(events)::int as events
       from cells cross join lateral unnest(cells.arms) as arm
      where type = 'adoption' group by arm, outcome, bucket) x) as adoptions,
  (select coalesce(json_agg(x), '[]') from (
     select t.arm, array[${rankedPercentile(0.5)}, ${rankedPercentile(0.9)}] as percentiles
       from timed t) x) as time_to_send,
  (select coalesce(json_agg(x), '[]') from (
     select arms, ${BUCKET_MS} as bucket, sum(value_sum)::float8 as wins, sum(events)::int as comparisons
       from cells where type = 'preference' group by arms, bucket) x) as comparisons,
  (select coalesce(json_agg(x), '[]') from (
     select arms, sum(value_sum)::float8 as hits, sum(events)::int as labels
       from cells where type = 'knowledge.relevance' group by arms) x) as relevance,
  (select coalesce(json_agg(x), '[]') from (
     select arms, sum(events)::int as reports from cells where type = 'knowledge.missing' group by arms) x) as missing
`;

/**
 * From the events themselves, for windows that cut through an hour: reads only the generated
 * metric columns (migration 0008), never the payloads, as index-only ranges, and aggregates the
 * events down to a few hundred rows: counts per combination of arms shown and time bucket, rather
 * than per arm, so that no step multiplies the events by the arms; the few groups are split into
 * arms afterwards. Events attributed through their suggestion take its arms from
 * experiment_suggestions (migration 0009), as the counts kept at ingest do, so both paths agree.
 */
export const RAW_METRICS_SQL = `
with
-- Events that take the arms of their suggestion: not-used adoptions one by one (their times are
-- needed), labels and reports already summed per suggestion, so that fewer rows are matched.
needs_arms as (
  select e.suggestion_id, e.type, ${EVENT_BUCKET} as bucket, e.metric_value as value, e.metric_outcome as outcome, 1::bigint as events
    from events e
   where ${scope('e', ['adoption'])} and cardinality(e.metric_arms) = 0
  union all
  select e.suggestion_id, e.type, null, sum(e.metric_value), null, count(*)
    from events e
   where ${scope('e', ['knowledge.relevance', 'knowledge.missing'])} and (e.type = 'knowledge.missing' or e.metric_value is not null)
   group by e.suggestion_id, e.type
),
attributed as materialized (
  select n.type, n.bucket, n.value, n.outcome, n.events, s.arms
    from needs_arms n
    join experiment_suggestions s on s.tenant_id = $1::uuid and s.experiment_key = $2 and s.suggestion_id = n.suggestion_id
   where ${inWindow('s.shown_at')}
),
adoptions as materialized (
  select ${EVENT_BUCKET} as bucket, e.metric_arms[1] as arm, e.metric_outcome as outcome,
         e.metric_value as time_to_send
    from events e
   where ${scope('e', ['adoption'])} and cardinality(e.metric_arms) = 1
  union all
  select a.bucket, arm, a.outcome, a.value
    from attributed a cross join lateral unnest(a.arms) as arm
   where a.type = 'adoption'
)
select
  (select coalesce(json_agg(x), '[]') from (
     select arms, ${BUCKET_MS} as bucket, count(*)::int as events
       from (select e.metric_arms as arms, ${EVENT_BUCKET} as bucket
               from events e where ${scope('e', ['suggestion.shown'])}) shown_at
      group by arms, bucket) x) as exposures,
  (select coalesce(json_agg(x), '[]') from (
     select arm, outcome, ${BUCKET_MS} as bucket, count(*)::int as events from adoptions group by arm, outcome, bucket) x) as adoptions,
  (select coalesce(json_agg(x), '[]') from (
     select arm, percentile_cont(array[0.5, 0.9]) within group (order by time_to_send) as percentiles
       from adoptions where time_to_send is not null group by arm) x) as time_to_send,
  (select coalesce(json_agg(x), '[]') from (
     select arms, ${BUCKET_MS} as bucket, sum(value)::float8 as wins, count(*)::int as comparisons
       from (select e.metric_arms as arms, e.metric_value as value, ${EVENT_BUCKET} as bucket
               from events e
              where ${scope('e', ['preference'])} and e.metric_value is not null and e.metric_arms[1] <> e.metric_arms[2]) compared
      group by arms, bucket) x) as comparisons,
  (select coalesce(json_agg(x), '[]') from (
     select arms, sum(value)::float8 as hits, sum(events)::int as labels
       from attributed where type = 'knowledge.relevance' group by arms) x) as relevance,
  (select coalesce(json_agg(x), '[]') from (
     select arms, sum(events)::int as reports from attributed where type = 'knowledge.missing' group by arms) x) as missing
`;

const HOUR_MS = 3_600_000;

/** Whether the window's bounds are whole hours (or absent), so that the hourly counts answer it exactly. */
export function wholeHours(from: Date | null, to: Date | null): boolean {
  return [from, to].every((t) => t === null || t.getTime() % HOUR_MS === 0);
}

/**
 * Planner settings for the metrics transaction only (`set_config(…, true)` is `set local`).
 * - enable_nestloop: the row estimates of the joined ranges are guesses (and wild ones before a
 *   table's first ANALYZE, which PGlite never runs by itself); a nested loop on such a guess is
 *   quadratic in the events, where a hash join is linear whatever the sizes turn out to be.
 * - enable_mergejoin: sorting both sides by suggestion id to merge them costs more than hashing
 *   the shown side (measured with bench/metrics.ts).
 * - work_mem: room to hash the shown suggestions and sort the times to send in memory.
 * - max_parallel_workers_per_gather: a second or two of single-core work at a million events;
 *   workers' start-up and the gather cost more than they saved on the bench machine.
 * - jit: the plan's cost passes the JIT thresholds, yet compiling it costs more than it saves.
 */
const PLANNER_SETTINGS = {
  enable_nestloop: 'off',
  enable_mergejoin: 'off',
  work_mem: '64MB',
  max_parallel_workers_per_gather: '0',
  jit: 'off',
};

/** `$n` placeholders in `text` as drizzle parameters, so the statement can run inside a transaction. */
function withParameters(text: string, params: unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(last, match.index)), sql`${params[Number(match[1]) - 1]}`);
    last = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}

interface MetricsRow {
  /** Shown events per combination of arms (in shown order) and bucket. */
  exposures: { arms: string[]; bucket: number; events: number }[];
  /** Adoption events per arm they count for, outcome and bucket. */
  adoptions: { arm: string; outcome: string; bucket: number; events: number }[];
  time_to_send: { arm: string; percentiles: [number, number] }[];
  /** Comparisons per [left arm, right arm] and bucket; wins are the left arm's. */
  comparisons: { arms: [string, string]; bucket: number; wins: number; comparisons: number }[];
  relevance: { arms: string[]; hits: number; labels: number }[];
  missing: { arms: string[]; reports: number }[];
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
  const params = [tenantId, key, from?.toISOString() ?? null, to?.toISOString() ?? null, BUCKET_INTERVALS[options.bucket]];
  const [raw] = await database.db.transaction(async (tx) => {
    await tx.execute(sql.raw(`select ${Object.entries(PLANNER_SETTINGS).map(([name, value]) => `set_config('${name}', '${value}', true)`).join(', ')}`));
    const statement = wholeHours(from, to) ? ROLLUP_METRICS_SQL : RAW_METRICS_SQL;
    const result = (await tx.execute(withParameters(statement, params))) as unknown as { rows: Record<keyof MetricsRow, unknown>[] };
    return result.rows;
  });
  // JSON columns arrive as text from some drivers and parsed from others.
  const row = Object.fromEntries(
    Object.entries(raw!).map(([column, value]) => [column, typeof value === 'string' ? JSON.parse(value) : value]),
  ) as unknown as MetricsRow;

  const seen = new Set<string>();
  for (const r of row.exposures) for (const arm of r.arms) seen.add(arm);
  for (const r of row.adoptions) seen.add(r.arm);
  for (const r of row.comparisons) seen.add(r.arms[0]).add(r.arms[1]);
  const arms = options.arms?.length ? [...options.arms] : [...seen].sort();
  const controlArm = options.controlArm ?? arms[0];
  if (!controlArm) throw new MetricsInputError(`no events for experiment "${key}" in this window, and no control arm to report`, 404);
  if (!arms.includes(controlArm)) {
    throw new MetricsInputError(`control: no arm "${controlArm}" in experiment "${key}" (arms: ${arms.join(', ') || 'none seen'})`);
  }
  const reported = new Set(arms);
  /** Each arm of a combination once (a suggestion shows an arm at most once; this makes sure). */
  const each = (combination: string[]) => new Set(combination);

  const exposures = new Map<string, number>();
  for (const r of row.exposures) for (const arm of each(r.arms)) add(exposures, arm, r.events);
  const outcomes = new Map<string, Record<string, number>>();
  const adopted = new Map<string, number>();
  const adoptionEvents = new Map<string, number>();
  for (const r of row.adoptions) {
    const byOutcome = outcomes.get(r.arm) ?? {};
    byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + r.events;
    outcomes.set(r.arm, byOutcome);
    add(adoptionEvents, r.arm, r.events);
    if (ADOPTED_OUTCOMES.includes(r.outcome)) add(adopted, r.arm, r.events);
  }
  const timeToSend = new Map(row.time_to_send.map((r) => [r.arm, r.percentiles]));
  const pairTotals = new Map<string, PairRecord>();
  const wins = new Map<string, number>();
  const comparisons = new Map<string, number>();
  for (const r of row.comparisons) {
    const [left, right] = r.arms;
    const id = `${left}\u0000${right}`;
    const pair = pairTotals.get(id) ?? { first: left, second: right, wins: 0, comparisons: 0 };
    pair.wins += r.wins;
    pair.comparisons += r.comparisons;
    pairTotals.set(id, pair);
    add(wins, left, r.wins);
    add(wins, right, r.comparisons - r.wins);
    add(comparisons, left, r.comparisons);
    add(comparisons, right, r.comparisons);
  }
  // Strengths among the reported arms only, so that they sum to 1 over what the dashboard shows.
  const strengths = bradleyTerry([...pairTotals.values()].filter((p) => reported.has(p.first) && reported.has(p.second)));
  const relevanceHits = new Map<string, number>();
  const relevanceLabels = new Map<string, number>();
  for (const r of row.relevance) {
    for (const arm of each(r.arms)) {
      add(relevanceHits, arm, r.hits);
      add(relevanceLabels, arm, r.labels);
    }
  }
  const missing = new Map<string, number>();
  for (const r of row.missing) for (const arm of each(r.arms)) add(missing, arm, r.reports);

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
      precisionAt8: proportion(relevanceHits.get(arm) ?? 0, relevanceLabels.get(arm) ?? 0),
      missingKnowledge: proportion(missing.get(arm) ?? 0, armExposures),
      timeToSend: { p50: timeToSend.get(arm)?.[0] ?? null, p90: timeToSend.get(arm)?.[1] ?? null },
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

/** Splits the grouped rows into one point per bucket and reported arm, in time then arm order. */
function buildSeries(row: MetricsRow, reported: Set<string>): ArmSeriesPoint[] {
  const points = new Map<string, { bucket: number; arm: string; exposures: number; adopted: number; events: number; wins: number; comparisons: number }>();
  const point = (bucket: number, arm: string) => {
    const id = `${bucket}\u0000${arm}`;
    let p = points.get(id);
    if (!p) points.set(id, (p = { bucket, arm, exposures: 0, adopted: 0, events: 0, wins: 0, comparisons: 0 }));
    return p;
  };
  for (const r of row.exposures) {
    for (const arm of new Set(r.arms)) if (reported.has(arm)) point(r.bucket, arm).exposures += r.events;
  }
  for (const r of row.adoptions) {
    if (!reported.has(r.arm)) continue;
    const p = point(r.bucket, r.arm);
    p.events += r.events;
    if (ADOPTED_OUTCOMES.includes(r.outcome)) p.adopted += r.events;
  }
  for (const r of row.comparisons) {
    const [left, right] = r.arms;
    if (reported.has(left)) {
      const p = point(r.bucket, left);
      p.wins += r.wins;
      p.comparisons += r.comparisons;
    }
    if (reported.has(right)) {
      const p = point(r.bucket, right);
      p.wins += r.comparisons - r.wins;
      p.comparisons += r.comparisons;
    }
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
