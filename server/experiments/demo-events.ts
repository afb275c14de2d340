import type { AnnotationEvent, ExperimentMode } from '../../lib/contract';
import { ADOPTION_OUTCOMES, EVENT_SCHEMA_VERSION, RELEVANCE_LABELS } from '../../lib/contract/vocabulary';
import type { Database } from '../db/client';
import { seededRandom } from '../../lib/random';

/**
 * Realistic annotation events for an experiment, for the demo dashboard, the metrics bench and
 * the metrics tests. Each suggestion is shown (two arms side by side in pairwise mode, one in
 * single mode); a share of them are annotated (a preference and a few relevance labels); most end
 * in an adoption event; a few report missing knowledge. Arms differ in a hidden quality that
 * drives both adoption and preference, so the dashboard has real differences to show.
 */
export interface ExperimentEventOptions {
  experimentKey: string;
  arms: string[];
  mode?: ExperimentMode;
  /** Days of traffic, ending at `end`. */
  days: number;
  perDay: number;
  end?: Date;
  seed?: number;
  /** Agents the events are spread over (ids as stored in `agent_id`); a few made up when absent. */
  agentIds?: string[];
  /** Share of suggestions the agent annotates (preference and relevance labels). */
  annotationShare?: number;
}


function hex(random: () => number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** A UUIDv7 for the time given, its random bits from the seeded generator (so runs repeat). */
function uuidv7At(ms: number, random: () => number): string {
  const time = Math.floor(ms).toString(16).padStart(12, '0');
  const variant = (8 + Math.floor(random() * 4)).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(random, 3)}-${variant}${hex(random, 3)}-${hex(random, 12)}`;
}

function uuidv4(random: () => number): string {
  const variant = (8 + Math.floor(random() * 4)).toString(16);
  return `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${variant}${hex(random, 3)}-${hex(random, 12)}`;
}

const ARTICLES = ['kb-wifi', 'kb-refund', 'kb-battery', 'kb-reset', 'kb-shipping', 'kb-warranty', 'kb-app-login', 'kb-schedule', 'kb-firmware', 'kb-billing'];
const REPLIES = [
  'Hi, thanks for reaching out. Hold the dial for five seconds until the ring blinks blue, then pick your network in the app.',
  'Hello, refunds go back to the original card within five business days of the return reaching us.',
  'Hi there, the valve takes two AA lithium batteries; the app warns you when they drop below 15 percent.',
  'Thanks for your patience. Press and hold the dial for twenty seconds to reset the thermostat to factory settings.',
];
const MISSING = ['No article on volume pricing for landlords', 'Nothing about pairing with a mesh router', 'How to transfer a warranty to a new owner'];

/** Hour of day weighted towards office hours, so hourly charts look like a support team's day. */
function workingTime(dayStart: number, random: () => number): number {
  const hour = 7 + ((random() + random() + random()) / 3) * 12;
  return dayStart + hour * 3_600_000;
}

/** Events in time order of suggestion (each suggestion's own events follow it within minutes). */
export function* generateExperimentEvents(options: ExperimentEventOptions): Generator<AnnotationEvent> {
  const { experimentKey, arms, days, perDay } = options;
  const mode = options.mode ?? (arms.length >= 2 ? 'pairwise' : 'single');
  if (arms.length === 0) throw new Error('an experiment needs at least one arm');
  if (mode === 'pairwise' && arms.length < 2) throw new Error('a pairwise experiment needs two arms');
  const random = seededRandom(options.seed ?? 7);
  const annotationShare = options.annotationShare ?? 0.35;
  const agentIds = options.agentIds?.length ? options.agentIds : Array.from({ length: 12 }, () => uuidv4(random));
  // Hidden quality: the first arm is the weakest, each next one better.
  const quality = new Map(arms.map((arm, i) => [arm, 0.5 + (0.25 * i) / Math.max(1, arms.length - 1)]));
  const end = (options.end ?? new Date()).getTime();
  const firstDay = Math.floor(end / 86_400_000) * 86_400_000 - (days - 1) * 86_400_000;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;

  for (let day = 0; day < days; day++) {
    const times = Array.from({ length: perDay }, () => workingTime(firstDay + day * 86_400_000, random)).sort((a, b) => a - b);
    for (const shownAt of times) {
      if (shownAt > end) continue;
      const suggestionId = uuidv4(random);
      const agentId = pick(agentIds);
      const ticketId = String(10_000 + Math.floor(random() * 90_000));
      let shownArms: string[];
      if (mode === 'pairwise') {
        const left = pick(arms);
        let right = pick(arms);
        while (right === left) right = pick(arms);
        shownArms = [left, right];
      } else {
        shownArms = [pick(arms)];
      }
      const candidateId = (arm: string) => `${suggestionId}:${arm}`;
      const common = (type: AnnotationEvent['type'], at: number) => ({
        id: uuidv7At(at, random),
        schemaVersion: EVENT_SCHEMA_VERSION as typeof EVENT_SCHEMA_VERSION,
        agentId,
        helpdesk: 'zendesk' as const,
        ticketId,
        suggestionId,
        experiment: { key: experimentKey, arm: shownArms.join('+') },
        createdAt: new Date(at).toISOString(),
        clientVersion: '0.1.0',
        type,
      });
      const articles = Array.from({ length: 8 }, (_, i) => {
        const articleId = ARTICLES[(i + Math.floor(random() * ARTICLES.length)) % ARTICLES.length]!;
        return { articleId, chunkId: `${articleId}#${i % 3}`, rank: i + 1, score: +(1 - i * 0.08 - random() * 0.05).toFixed(3) };
      });
      yield {
        ...common('suggestion.shown', shownAt),
        type: 'suggestion.shown',
        candidates: shownArms.map((arm, i) => ({
          id: candidateId(arm),
          arm,
          model: 'gpt-4o-mini',
          side: mode === 'single' ? 'single' : i === 0 ? 'left' : 'right',
        })),
        articles,
        latencyMs: Math.round(600 + random() * 1_800),
      };

      if (random() < annotationShare) {
        if (mode === 'pairwise') {
          const [left, right] = shownArms as [string, string];
          const bothUnusable = random() < 0.04;
          let choice: string | null = null;
          if (!bothUnusable) {
            const leftWins = quality.get(left)! / (quality.get(left)! + quality.get(right)!);
            const grade = pick(['much_better', 'better', 'slightly_better']);
            choice = random() < 0.12 ? 'tie' : random() < leftWins ? `A_${grade}` : `B_${grade}`;
          }
          yield {
            ...common('preference', shownAt + 20_000 + random() * 40_000),
            type: 'preference',
            candidateA: candidateId(left),
            candidateB: candidateId(right),
            choice: choice as never,
            bothUnusable,
          };
        }
        // A few labels, now and then below rank 8 (which precision@8 leaves out).
        const labelled = 1 + Math.floor(random() * 4);
        for (let i = 0; i < labelled; i++) {
          const rank = random() < 0.08 ? 9 + Math.floor(random() * 4) : 1 + Math.floor(random() * 8);
          const r = random();
          const label = r < 0.5 ? 'relevant' : r < 0.72 ? 'partly' : r < 0.94 ? 'irrelevant' : 'outdated';
          yield {
            ...common('knowledge.relevance', shownAt + 30_000 + random() * 60_000),
            type: 'knowledge.relevance',
            articleId: articles[Math.min(rank, 8) - 1]!.articleId,
            rank,
            label: label satisfies (typeof RELEVANCE_LABELS)[number],
          };
        }
      }

      let used: string | null = null;
      if (random() < 0.9) {
        // The agent uses the better-looking candidate more often, and adopts more from better arms.
        const weights = shownArms.map((arm) => quality.get(arm)!);
        const total = weights.reduce((a, b) => a + b, 0);
        let r = random() * total;
        const candidateArm = shownArms.find((_, i) => (r -= weights[i]!) < 0) ?? shownArms[0]!;
        const adopted = random() < quality.get(candidateArm)!;
        if (adopted) used = candidateArm;
        const o = random();
        const outcome: (typeof ADOPTION_OUTCOMES)[number] = !adopted ? 'not_used' : o < 0.35 ? 'verbatim' : o < 0.8 ? 'edited' : 'partial';
        const timeToSendMs = Math.round((outcome === 'verbatim' ? 20_000 : outcome === 'not_used' ? 140_000 : 60_000) * Math.exp((random() - 0.5) * 1.6));
        yield {
          ...common('adoption', shownAt + timeToSendMs),
          type: 'adoption',
          candidateId: used ? candidateId(used) : null,
          insertMethod: used ? pick(['insert', 'paste'] as const) : null,
          outcome,
          similarity: used ? +(outcome === 'verbatim' ? 1 : 0.5 + random() * 0.45).toFixed(3) : +(random() * 0.3).toFixed(3),
          editDistance: outcome === 'verbatim' ? 0 : Math.floor(random() * 40),
          timeToSendMs: random() < 0.03 ? null : timeToSendMs,
          sendPath: pick(['button', 'shortcut', 'status_menu'] as const),
          finalText: pick(REPLIES),
          ...(used ? {} : { rationale: { codes: [pick(['inaccurate', 'missing_information', 'wrong_tone', 'not_needed'] as const)] } }),
        };
      }
      if (random() < (used ? 0.02 : 0.12)) {
        yield {
          ...common('knowledge.missing', shownAt + 45_000 + random() * 60_000),
          type: 'knowledge.missing',
          description: pick(MISSING),
        };
      }
    }
  }
}

/**
 * Stores generated events for an experiment straight into `events`, as `/v1/events` would store
 * them (tenant and agent in the payload, one multi-row statement per batch). Does nothing when
 * the experiment already has events, so that a demo start after the first leaves them be.
 * Returns the number of events stored.
 */
export async function seedDemoExperimentEvents(
  database: Database,
  tenantId: string,
  options: ExperimentEventOptions & { teamId?: string; /** Stop after this many events. */ limit?: number },
): Promise<number> {
  const [existing] = await database.query('select 1 from events where tenant_id = $1::uuid and experiment_key = $2 limit 1', [
    tenantId,
    options.experimentKey,
  ]);
  if (existing) return 0;
  const teamId = options.teamId ?? '00000000-0000-4000-8000-000000000001';
  let stored = 0;
  let batch: AnnotationEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await database.query(
      `insert into events (id, tenant_id, team_id, agent_id, type, helpdesk, ticket_id, suggestion_id,
                           experiment_key, experiment_arm, payload, client_created_at, received_at)
       select (e->>'id')::uuid, $1::uuid, $2::uuid, (e->>'agentId')::uuid, e->>'type', e->>'helpdesk', e->>'ticketId',
              (e->>'suggestionId')::uuid, e->'experiment'->>'key', e->'experiment'->>'arm', e,
              (e->>'createdAt')::timestamptz, (e->>'createdAt')::timestamptz
         from jsonb_array_elements($3::jsonb) as u(e)
       on conflict (id) do nothing`,
      [tenantId, teamId, JSON.stringify(batch.map((event) => ({ ...event, tenantId })))],
    );
    stored += batch.length;
    batch = [];
  };
  const limit = options.limit ?? Infinity;
  for (const event of generateExperimentEvents(options)) {
    if (stored + batch.length >= limit) break;
    batch.push(event);
    if (batch.length === 1_000) await flush();
  }
  await flush();
  return stored;
}
