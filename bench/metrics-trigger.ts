/**
 * What migration 0009's trigger (the experiment metrics kept at ingest) costs `/v1/events` for
 * realistic experiment traffic: many suggestions, each shown then annotated, from the seeded
 * generator, posted in batches of 1,000 by one client. Rounds alternate the trigger disabled and
 * enabled in the same server, so both see the same machine; events/s per round are printed.
 * (`bench:ingest` sends every event for one suggestion, which spares the trigger its lookups.)
 *
 *   npx tsx bench/metrics-trigger.ts [postgres|pglite]   (BENCH_EVENTS=8000 per round, BENCH_ROUNDS=3)
 */
import { MAX_EVENTS_PER_BATCH } from '../lib/contract';
import { generateExperimentEvents } from '../server/experiments/demo-events';
import { createToken } from '../server/tenancy';
import { post, startBenchServer } from './lib/harness';

const kind = (process.argv[2] ?? 'postgres') as 'postgres' | 'pglite';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 8_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const server = await startBenchServer(kind);
try {
  const token = await createToken(server.database.db, { tenant: 'metrics-trigger', team: 'bench', name: 'bench', role: 'agent' });
  const round = async (seed: number, trigger: boolean) => {
    await server.database.query(`alter table events ${trigger ? 'enable' : 'disable'} trigger events_experiment_metrics`);
    // A new seed per round: new event ids and suggestions, as fresh traffic would bring.
    const events = [...generateExperimentEvents({ experimentKey: 'trigger-bench', arms: ['a', 'b', 'c'], days: 2, perDay: 4_000, seed })].slice(0, EVENTS);
    const started = performance.now();
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_BATCH) {
      await post(server, token, '/v1/events', { events: events.slice(i, i + MAX_EVENTS_PER_BATCH) });
    }
    return Math.round(events.length / ((performance.now() - started) / 1000));
  };
  await round(1, true); // warm-up
  const perSecond = { off: [] as number[], on: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    perSecond.off.push(await round(100 + 2 * r, false));
    perSecond.on.push(await round(101 + 2 * r, true));
  }
  console.log(`${kind}: /v1/events, one client, events/s with the trigger disabled ${perSecond.off.join(', ')}; enabled ${perSecond.on.join(', ')}`);
} finally {
  await server.database.query('alter table events enable trigger events_experiment_metrics');
  await server.close();
}
